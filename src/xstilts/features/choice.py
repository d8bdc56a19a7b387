"""Multiple-choice features: (context + question, choice) pairs, C per example → [B, C, T]."""

from __future__ import annotations

from collections.abc import Sequence

from xstilts.data.examples import ChoiceExample
from xstilts.errors import XstiltsError
from xstilts.features.featureset import FeatureSet
from xstilts.features.labels import is_labelled


def featurize_choice(
    examples: Sequence[ChoiceExample],
    tokenizer,
    *,
    max_length: int,
    labels: Sequence[str] | None = None,  # unused: the label is already a choice index
) -> FeatureSet:
    """Every example becomes one feature holding C encoded sequences.

    The first segment is the context followed by the question, the second one choice; truncation
    is `longest_first`, which in practice shortens the (long) context and keeps the choice.
    """
    num_choices = _common_choice_count(examples)
    firsts, seconds = [], []
    for ex in examples:
        stem = f"{ex.context} {ex.question}".strip()
        firsts.extend([stem] * num_choices)
        seconds.extend(ex.choices)
    encoded = tokenizer(firsts, text_pair=seconds, truncation="longest_first", max_length=max_length)
    inputs = {name: _group(list(encoded[name]), num_choices) for name in encoded}
    ids = [ex.id for ex in examples]
    if is_labelled([ex.label for ex in examples], ids):
        inputs["labels"] = [_checked_label(ex, num_choices) for ex in examples]
    return FeatureSet(
        kind="multiple_choice",
        inputs=inputs,
        refs={"example_index": list(range(len(examples)))},
        examples={"example_id": ids},
        info={"max_length": max_length, "num_choices": num_choices},
    )


def _common_choice_count(examples: Sequence[ChoiceExample]) -> int:
    # A [B, C, T] batch needs one C; tasks with varying C must be split or padded by the reader.
    counts = {len(ex.choices) for ex in examples}
    if len(counts) > 1:
        raise XstiltsError(f"multiple-choice examples have different numbers of choices: {sorted(counts)}")
    return counts.pop() if counts else 0


def _checked_label(example: ChoiceExample, num_choices: int) -> int:
    if not 0 <= example.label < num_choices:
        raise XstiltsError(
            f"example {example.id!r}: label {example.label} is not a choice index (0..{num_choices - 1})"
        )
    return example.label


def _group(flat: list, size: int) -> list[list]:
    return [flat[i : i + size] for i in range(0, len(flat), size)]
