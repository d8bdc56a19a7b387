"""Sampling error of a score: how far it would move on other examples from the same source.

A score on n evaluated examples estimates the score on the population they were drawn from; its
standard error is what the bootstrap over examples measures: resample the n examples with
replacement, rescore, take the standard deviation. Every metric here is a ratio of sums over
examples (accuracy: correct / n; span F1: 2·TP / (predicted + gold spans), summed over
sentences as seqeval's micro F1 does; QA: (EM + F1) / 2 summed over questions / n), so each
example is reduced once to a row of counts and a resample is a weighted sum of those rows: the
bootstrap costs one matrix product instead of R rescorings. BUCC (pairs mined between two
corpora) has no per-example decomposition, so it has no sampling error here.

The study compares this with the seed-to-seed variance of the same score: evaluation sets are
large enough when the first is small next to the second.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from seqeval.metrics.sequence_labeling import get_entities

from xstilts.metrics.mlqa import mlqa_normalizer
from xstilts.metrics.qa import question_scores, squad_normalize

DEFAULT_RESAMPLES = 1000


@dataclass(frozen=True)
class Decomposition:
    """A metric as per-example count rows (n × k) and the 0-100 score of their column sums."""

    rows: Callable[[Any, Any, str | None], np.ndarray]
    score: Callable[[np.ndarray], np.ndarray]  # sums (..., k) -> scores (...)


def _accuracy_rows(gold: Sequence[str], predictions: Sequence[str], language: str | None) -> np.ndarray:
    if len(gold) != len(predictions):
        raise ValueError(f"{len(predictions)} predictions for {len(gold)} gold labels")
    return np.array([[float(pred == label), 1.0] for pred, label in zip(predictions, gold)]).reshape(-1, 2)


def _span_rows(gold: Sequence[Sequence[str]], predictions: Sequence[Sequence[str]], language: str | None) -> np.ndarray:
    if len(gold) != len(predictions):
        raise ValueError(f"{len(predictions)} predicted sentences for {len(gold)} gold sentences")
    rows = []
    for gold_tags, pred_tags in zip(gold, predictions):
        gold_spans, pred_spans = set(get_entities(list(gold_tags))), set(get_entities(list(pred_tags)))
        rows.append([len(gold_spans & pred_spans), len(pred_spans), len(gold_spans)])
    return np.array(rows, dtype=float).reshape(-1, 3)


def _qa_rows(normalizer: Callable[[str | None], Callable[[str], str]]):
    def rows(gold, predictions, language: str | None) -> np.ndarray:
        scores = question_scores(gold, predictions, normalizer(language))
        return np.array([[em, f1, 1.0] for em, f1 in scores]).reshape(-1, 3)
    return rows


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    # seqeval scores 0 where there is no span at all; a resample without examples cannot occur.
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, 100.0 * numerator / np.where(denominator > 0, denominator, 1), 0.0)


def _qa_score(sums: np.ndarray) -> np.ndarray:
    return _ratio((sums[..., 0] + sums[..., 1]) / 2, sums[..., 2])  # (EM + F1) / 2 over questions


DECOMPOSITIONS: dict[str, Decomposition] = {
    "accuracy": Decomposition(_accuracy_rows, lambda s: _ratio(s[..., 0], s[..., 1])),
    "span_f1": Decomposition(_span_rows, lambda s: _ratio(2 * s[..., 0], s[..., 1] + s[..., 2])),
    "squad_em_f1": Decomposition(_qa_rows(lambda language: squad_normalize), _qa_score),
    "mlqa_em_f1": Decomposition(_qa_rows(mlqa_normalizer), _qa_score),
}


def bootstrap_se(metric: str, gold: Any, predictions: Any, language: str | None = None, *,
                 resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> float | None:
    """Standard error (0-100 points) of the headline score over the evaluated examples, by the
    bootstrap; None for metrics without a per-example decomposition (BUCC)."""
    if metric not in DECOMPOSITIONS:
        return None
    decomposition = DECOMPOSITIONS[metric]
    rows = decomposition.rows(gold, predictions, language)
    if len(rows) < 2:
        return None
    # Each resample draws n examples with replacement: its counts are one multinomial draw.
    weights = np.random.default_rng(seed).multinomial(len(rows), np.full(len(rows), 1 / len(rows)), size=resamples)
    return float(np.std(decomposition.score(weights @ rows), ddof=1))
