"""Extractive-QA exact match and token F1 (SQuAD v1.1 rules), as XTREME scores XQuAD and TyDiQA.

The scoring loop is shared with MLQA (``xstilts.metrics.mlqa``), which differs only in how an
answer string is normalised; so the loop takes the normaliser as an argument.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

# One gold question: its id and every acceptable answer text, in file order.
QAGold = Sequence[tuple[str, Sequence[str]]]
Normalizer = Callable[[str], str]

_ASCII_PUNCTUATION = frozenset(string.punctuation)
_ENGLISH_ARTICLES = re.compile(r"\b(a|an|the)\b")


def squad_normalize(text: str) -> str:
    """Lower-case, drop ASCII punctuation, drop English articles, collapse whitespace."""
    text = "".join(ch for ch in text.lower() if ch not in _ASCII_PUNCTUATION)
    text = _ENGLISH_ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, answer: str, normalize: Normalizer) -> bool:
    return normalize(prediction) == normalize(answer)


def token_f1(prediction: str, answer: str, normalize: Normalizer) -> float:
    """Bag-of-tokens F1 between the normalised strings (tokens split on whitespace)."""
    pred_tokens = normalize(prediction).split()
    answer_tokens = normalize(answer).split()
    overlap = sum((Counter(pred_tokens) & Counter(answer_tokens)).values())
    if overlap == 0:
        return 0.0
    precision = 1.0 * overlap / len(pred_tokens)
    recall = 1.0 * overlap / len(answer_tokens)
    return (2 * precision * recall) / (precision + recall)


def question_scores(gold: QAGold, predictions: Mapping[str, str], normalize: Normalizer) -> list[tuple[float, float]]:
    """(EM, F1) in 0-1 per gold question, best over its answers.

    A question without a prediction scores (0, 0) but still counts, and a question id listed
    twice in the gold counts twice: both as in the official scripts. Predictions for ids not in
    the gold are ignored.
    """
    if not gold:
        raise ValueError("no questions to score")
    scores = []
    for question_id, answers in gold:
        if question_id not in predictions:
            scores.append((0.0, 0.0))
            continue
        prediction = predictions[question_id]
        # Checked only for answered questions: the official script crashes on exactly these.
        if not isinstance(prediction, str):
            raise ValueError(f"prediction for question {question_id!r} is not a string")
        if not answers:
            raise ValueError(f"question {question_id!r} has no gold answer")
        scores.append((float(max(exact_match(prediction, answer, normalize) for answer in answers)),
                       max(token_f1(prediction, answer, normalize) for answer in answers)))
    return scores


def em_f1(gold: QAGold, predictions: Mapping[str, str], normalize: Normalizer) -> dict[str, float]:
    """Mean best-over-answers EM and F1 (0-100) over every gold question (see ``question_scores``)."""
    scores = question_scores(gold, predictions, normalize)
    return {"exact_match": 100.0 * sum(em for em, _ in scores) / len(gold),
            "f1": 100.0 * sum(f1 for _, f1 in scores) / len(gold)}


def squad_em_f1(gold: QAGold, predictions: Mapping[str, str]) -> dict[str, float]:
    """SQuAD v1.1 EM/F1, as XTREME reports for XQuAD and TyDiQA-GoldP."""
    return em_f1(gold, predictions, squad_normalize)
