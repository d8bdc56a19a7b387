"""Single-sentence and sentence-pair classification features."""

from __future__ import annotations

from collections.abc import Sequence

from xstilts.data.examples import ClassificationExample
from xstilts.errors import XstiltsError
from xstilts.features.featureset import FeatureSet
from xstilts.features.labels import encode_labels_or_none


def featurize_classification(
    examples: Sequence[ClassificationExample],
    tokenizer,
    *,
    max_length: int,
    labels: Sequence[str] | None = None,
) -> FeatureSet:
    """One feature per example; pairs are truncated `longest_first` so neither side vanishes."""
    text_pair = _second_segments(examples)
    encoded = tokenizer(
        [ex.text_a for ex in examples],
        text_pair=text_pair,
        truncation="longest_first" if text_pair is not None else True,
        max_length=max_length,
    )
    inputs = {name: list(encoded[name]) for name in encoded}
    ids = [ex.id for ex in examples]
    label_ids = encode_labels_or_none([ex.label for ex in examples], labels, ids)
    if label_ids is not None:
        inputs["labels"] = label_ids
    return FeatureSet(
        kind="pair_classification" if text_pair is not None else "classification",  # registry restamps
        inputs=inputs,
        refs={"example_index": list(range(len(examples)))},
        examples={"example_id": ids},
        info={"max_length": max_length},
    )


def _second_segments(examples: Sequence[ClassificationExample]) -> list[str] | None:
    """All text_b, or None for single-sentence data; a mix cannot be one batch encoding."""
    present = sum(ex.text_b is not None for ex in examples)
    if present == 0:
        return None
    if present != len(examples):
        raise XstiltsError(
            f"classification examples mix single sentences and pairs "
            f"({present} of {len(examples)} have a second text)"
        )
    return [ex.text_b for ex in examples]
