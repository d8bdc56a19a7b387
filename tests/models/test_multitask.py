"""MultiTaskModel: one encoder shared by every head, each head reached by task name."""

from __future__ import annotations


import pytest
import numpy as np
import torch

from xstilts.models.encoder_io import freeze_word_embeddings
from xstilts.models.heads import build_head
from xstilts.models.multitask import MultiTaskModel


def test_heads_share_one_encoder(tiny_encoder):
    model = MultiTaskModel(
        tiny_encoder,
        {"sst": build_head("classification", 32, 2), "pos": build_head("tagging", 32, 17)},
    )
    encoder_params = sum(p.numel() for p in tiny_encoder.parameters())
    head_params = sum(p.numel() for name in ("sst", "pos") for p in model.heads[name].parameters())
    assert sum(p.numel() for p in model.parameters()) == encoder_params + head_params
    assert model.task_names == ["sst", "pos"]


def test_sampled_training_moves_the_shared_encoder_and_each_head(tiny_encoder, tokenizer):
    torch.manual_seed(0)
    model = MultiTaskModel(
        tiny_encoder,
        {"sst": build_head("classification", 32, 2, 0.0), "nli": build_head("pair_classification", 32, 3, 0.0)},
    )
    freeze_word_embeddings(model)
    batches = {
        "sst": dict(tokenizer(["good", "bad film"], padding=True, return_tensors="pt"))
        | {"labels": torch.tensor([1, 0])},
        "nli": dict(tokenizer(["a cat", "a dog"], ["an animal", "a car"], padding=True, return_tensors="pt"))
        | {"labels": torch.tensor([0, 2])},
    }
    before = {name: model(name, **batch).loss.item() for name, batch in batches.items()}
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-3)
    drawn = [("sst", "nli")[i] for i in np.random.default_rng(0).integers(0, 2, size=80)]
    for task in drawn:
        optimizer.zero_grad()
        model(task, **batches[task]).loss.backward()
        optimizer.step()
    assert set(drawn) == {"sst", "nli"}
    after = {name: model(name, **batch).loss.item() for name, batch in batches.items()}
    assert all(after[name] < 0.5 * before[name] for name in batches), (before, after)


def test_unknown_task_is_rejected(tiny_encoder, tokenizer):
    model = MultiTaskModel(tiny_encoder, {"sst": build_head("classification", 32, 2)})
    with pytest.raises(KeyError, match="no head for task 'xnli'"):
        model("xnli", **dict(tokenizer(["x"], return_tensors="pt")))
