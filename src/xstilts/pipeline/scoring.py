"""Scoring predictions: in memory for dev-set model selection, through XTREME files for results."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from xstilts.data.examples import Example
from xstilts.metrics.layout import score_with_sampling_se, write_gold, write_predictions
from xstilts.metrics.registry import compute_metric
from xstilts.pipeline.predict import GOLD
from xstilts.results import ScoreRow
from xstilts.tasks.spec import TaskSpec


def primary(values: dict[str, float]) -> float:
    """The one number XTREME reports: (EM + F1) / 2 for QA, else F1, else accuracy."""
    if "exact_match" in values:
        return (values["exact_match"] + values["f1"]) / 2
    return values["f1"] if "f1" in values else values["accuracy"]


def score_in_memory(spec: TaskSpec, examples: Sequence[Example], predictions: Any, lang: str) -> float:
    gold = GOLD[spec.kind](examples)
    if spec.kind == "tagging" and spec.metric == "accuracy":
        # Per-token accuracy (CCG supertagging): flatten sentences into one tag sequence.
        gold = [tag for sentence in gold for tag in sentence]
        predictions = [tag for sentence in predictions for tag in sentence]
    return primary(compute_metric(spec.metric, gold, predictions, lang))


def gold_for_file(spec: TaskSpec, examples: Sequence[Example]) -> Any:
    # QA gold files are SQuAD JSON written from the examples themselves.
    return list(examples) if spec.kind == "span_extraction" else GOLD[spec.kind](examples)


def write_and_score(
    spec: TaskSpec, lang: str, predictions: Any, pred_dir: Path, gold_dir: Path, selection: str
) -> ScoreRow:
    """Write XTREME-layout predictions and score them with the official-equivalent scorer."""
    write_predictions(pred_dir, spec.name, lang, predictions)
    values, sampling_se = score_with_sampling_se(pred_dir, gold_dir, spec.name, lang)
    return ScoreRow(target_task=spec.name, language=lang, metric=spec.metric, value=primary(values), selection=selection,
                    sampling_se=sampling_se)


def write_gold_file(spec: TaskSpec, lang: str, gold: Any, gold_dir: Path) -> None:
    write_gold(gold_dir, spec.name, lang, gold)
