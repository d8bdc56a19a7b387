from __future__ import annotations

import pytest
import torch

from xstilts.data.examples import ChoiceExample
from xstilts.errors import XstiltsError
from xstilts.features import featurize, make_collate


def example(
    i: int, choices: tuple[str, ...], label: int | None, context: str = "It rained all day."
) -> ChoiceExample:
    return ChoiceExample(
        id=f"q{i}", context=context, question="What did they do?", choices=choices, label=label
    )


def test_each_choice_is_paired_with_context_and_question(tokenizer):
    fs = featurize(
        "multiple_choice", [example(0, ("stayed in", "went swimming outdoors"), 1)], tokenizer, max_length=64
    )
    assert fs.inputs["labels"] == [1]
    sequences = fs[0]["input_ids"]
    assert len(sequences) == 2
    texts = [tokenizer.decode(ids, skip_special_tokens=True) for ids in sequences]
    assert texts[0].startswith("It rained all day. What did they do?") and texts[0].endswith("stayed in")
    assert texts[1].endswith("went swimming outdoors")


def test_empty_context_uses_question_alone(tokenizer):
    fs = featurize("multiple_choice", [example(0, ("yes", "no"), 0, context="")], tokenizer, max_length=32)
    tokens = tokenizer.convert_ids_to_tokens(fs[0]["input_ids"][0])
    assert tokens[:2] == ["<s>", "▁What"]


def test_collate_gives_batch_choice_time(tokenizer):
    examples = [example(0, ("a", "b", "c"), 2), example(1, ("a much longer answer here", "b", "c"), 0)]
    fs = featurize("multiple_choice", examples, tokenizer, max_length=64)
    batch = make_collate("multiple_choice", tokenizer.pad_token_id)([fs[0], fs[1]])
    longest = max(len(ids) for row in fs.inputs["input_ids"] for ids in row)
    assert batch["input_ids"].shape == (2, 3, longest)
    assert batch["attention_mask"].shape == (2, 3, longest)
    assert torch.equal(batch["labels"], torch.tensor([2, 0]))
    assert batch["attention_mask"].sum().item() == sum(
        len(ids) for row in fs.inputs["input_ids"] for ids in row
    )
    assert fs.lengths() == [max(len(ids) for ids in row) for row in fs.inputs["input_ids"]]


def test_long_context_is_truncated_not_the_choice(tokenizer):
    long_context = "Story sentence goes on. " * 100
    fs = featurize(
        "multiple_choice",
        [example(0, ("the final answer", "b"), 0, context=long_context)],
        tokenizer,
        max_length=48,
    )
    ids = fs[0]["input_ids"][0]
    assert len(ids) == 48
    assert tokenizer.decode(ids, skip_special_tokens=True).endswith("the final answer")


def test_inconsistent_choice_counts_and_bad_label_are_errors(tokenizer):
    with pytest.raises(XstiltsError, match="different numbers of choices"):
        featurize(
            "multiple_choice",
            [example(0, ("a", "b"), 0), example(1, ("a", "b", "c"), 0)],
            tokenizer,
            max_length=32,
        )
    with pytest.raises(XstiltsError, match="not a choice index"):
        featurize("multiple_choice", [example(0, ("a", "b"), 2)], tokenizer, max_length=32)
