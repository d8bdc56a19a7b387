"""Label strings → ids, by the order of the task's label list."""

from __future__ import annotations

from collections.abc import Sequence

from xstilts.errors import XstiltsError

# Positions a loss must skip (HF / torch CrossEntropyLoss default ignore_index).
IGNORE_INDEX = -100


def label_index(labels: Sequence[str]) -> dict[str, int]:
    """Map each label to its position; a duplicated label would make ids ambiguous."""
    if len(set(labels)) != len(labels):
        raise XstiltsError(f"label list has duplicates: {list(labels)}")
    return {label: i for i, label in enumerate(labels)}


def encode_label(label: str, index: dict[str, int], example_id: str) -> int:
    try:
        return index[label]
    except KeyError:
        raise XstiltsError(
            f"example {example_id!r}: label {label!r} is not one of the task's labels {list(index)}"
        ) from None


def is_labelled(labels_per_example: Sequence[object | None], example_ids: Sequence[str]) -> bool:
    """True when every example has a label, False when none has (prediction only).

    A mix of labelled and unlabelled examples is almost always a reader or file problem, so
    it is an error rather than silently training on part of the data.
    """
    missing = [eid for eid, lab in zip(example_ids, labels_per_example) if lab is None]
    if missing and len(missing) != len(example_ids):
        raise XstiltsError(
            f"{len(missing)} of {len(example_ids)} examples have no label (first: {missing[0]!r})"
        )
    return bool(example_ids) and not missing


def encode_labels_or_none(
    labels_per_example: Sequence[str | None],
    labels: Sequence[str] | None,
    example_ids: Sequence[str],
) -> list[int] | None:
    """Ids for labelled data when the task's label list is given; None otherwise."""
    if labels is None or not is_labelled(labels_per_example, example_ids):
        return None
    index = label_index(labels)
    return [encode_label(lab, index, eid) for lab, eid in zip(labels_per_example, example_ids)]
