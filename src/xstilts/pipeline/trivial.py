"""The trivial predictor a target must beat: its training data's most frequent label for every
example (every word, for tagging), the empty answer for extractive QA.

Its score, on exactly the lines a trial evaluates and through the same scorer, is stored beside
the model's (selection "trivial"), so the report can show each target's margin over it and set
apart a target whose trained baseline does not learn (PAWS-X on a few hundred examples predicts
the majority class).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Sequence

from xstilts.data.examples import Example


def _labels(examples: Sequence[Example]) -> list[str]:
    return [str(e.label) for e in examples if getattr(e, "label", None) is not None]


def _tags(examples: Sequence[Example]) -> list[str]:
    return [tag for e in examples for tag in (e.tags or ())]


# kind -> (the training labels counted, the prediction for evaluated examples given the most frequent)
TRIVIAL: dict[str, tuple[Callable[[Sequence[Example]], list[str]], Callable[[Sequence[Example], str | None], Any]]] = {
    "classification": (_labels, lambda examples, common: [common] * len(examples)),
    "pair_classification": (_labels, lambda examples, common: [common] * len(examples)),
    "multiple_choice": (_labels, lambda examples, common: [common] * len(examples)),
    "tagging": (_tags, lambda examples, common: [[common] * len(e.tokens) for e in examples]),
    "span_extraction": (lambda examples: [], lambda examples, common: {e.id: "" for e in examples}),
}


def most_frequent(kind: str, training: Sequence[Example]) -> str | None:
    """The training data's most frequent label (ties: the first in sorted order); None for QA."""
    counts = Counter(TRIVIAL[kind][0](training))
    return min(counts, key=lambda label: (-counts[label], label)) if counts else None


def trivial_predictions(kind: str, common: str | None, examples: Sequence[Example]) -> Any:
    return TRIVIAL[kind][1](examples, common)
