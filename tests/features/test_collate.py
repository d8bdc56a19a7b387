from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader

from xstilts.data.examples import TaggingExample
from xstilts.errors import XstiltsError
from xstilts.features import IGNORE_INDEX, featurize, length_grouped_batches, make_collate


def test_rows_pad_to_the_longest_in_the_batch():
    rows = [
        {"input_ids": [0, 5, 6, 2], "attention_mask": [1, 1, 1, 1], "labels": 1},
        {"input_ids": [0, 7, 2], "attention_mask": [1, 1, 1], "labels": 0},
    ]
    batch = make_collate("pair_classification", pad_id=1)(rows)
    assert batch["input_ids"].tolist() == [[0, 5, 6, 2], [0, 7, 2, 1]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 1], [1, 1, 1, 0]]
    assert batch["labels"].tolist() == [1, 0]
    assert all(t.dtype == torch.long for t in batch.values())


def test_tagging_labels_pad_with_ignore_index_and_multiple_rounds_up():
    rows = [
        {"input_ids": [0, 5, 2], "attention_mask": [1, 1, 1], "labels": [-100, 3, -100]},
        {"input_ids": [0, 2], "attention_mask": [1, 1], "labels": [-100, -100]},
    ]
    batch = make_collate("tagging", pad_id=1, pad_to_multiple_of=8)(rows)
    assert batch["input_ids"].shape == (2, 8)
    assert batch["labels"][0].tolist() == [-100, 3] + [IGNORE_INDEX] * 6
    assert batch["input_ids"][1].tolist() == [0, 2] + [1] * 6


def test_span_positions_stay_scalars():
    rows = [{"input_ids": [0, 4, 2], "attention_mask": [1, 1, 1], "start_positions": 1, "end_positions": 1}]
    batch = make_collate("span_extraction", pad_id=1)(rows)
    assert batch["start_positions"].shape == (1,)


def test_unknown_kind_is_rejected():
    with pytest.raises(XstiltsError):
        make_collate("regression", pad_id=1)


def test_feature_set_feeds_a_dataloader_with_grouped_batches(tokenizer):
    examples = [
        TaggingExample(f"s{i}", tuple(["word"] * (1 + i % 7)), tuple(["O"] * (1 + i % 7))) for i in range(20)
    ]
    fs = featurize("tagging", examples, tokenizer, max_length=32, labels=["O"])
    batches = length_grouped_batches(fs.lengths(), batch_size=4, seed=0, epoch=0)
    loader = DataLoader(fs, batch_sampler=batches, collate_fn=make_collate("tagging", tokenizer.pad_token_id))
    for batch, indices in zip(loader, batches, strict=True):
        assert batch["attention_mask"].sum(dim=1).tolist() == [fs.lengths()[i] for i in indices]
        assert batch["input_ids"].shape[1] == max(fs.lengths()[i] for i in indices)
        assert (batch["labels"] != IGNORE_INDEX).sum().item() == sum(len(examples[i].tokens) for i in indices)
