"""The phase hand-off: encoder weights move, heads never do; saved encoders round-trip exactly."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModel, AutoTokenizer

from xstilts.errors import XstiltsError
from xstilts.models.encoder_io import (
    freeze_word_embeddings,
    load_encoder,
    save_encoder,
)
from xstilts.models.task_model import build_task_model
from tiny_models import tiny_encoder_dir


def states_equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def clone_state(module) -> dict:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


@pytest.fixture
def other_encoder(model_cache):
    """Same architecture as the tiny encoder, different random weights."""
    return AutoModel.from_pretrained(tiny_encoder_dir(model_cache, seed=1))


def test_save_load_round_trip_is_bit_identical(tiny_encoder, tokenizer, tmp_path):
    model = build_task_model(tiny_encoder, "classification", num_labels=2)
    with torch.no_grad():  # move the weights away from the on-disk originals
        for parameter in model.encoder.parameters():
            parameter.add_(torch.randn_like(parameter) * 1e-3)

    saved = save_encoder(model, tmp_path / "encoder")
    loaded = load_encoder(saved)

    assert states_equal(model.encoder.state_dict(), loaded.state_dict())
    assert loaded.config.to_dict() == model.encoder.config.to_dict() | {"_name_or_path": str(saved)}
    assert (saved / "model.safetensors").is_file()
    # The saved folder is a complete HF checkpoint: its tokenizer loads and agrees.
    reloaded_tokenizer = AutoTokenizer.from_pretrained(saved)
    text = "Zero-shot transfer, über alles."
    assert reloaded_tokenizer(text)["input_ids"] == tokenizer(text)["input_ids"]
    assert not any(key.startswith("head") for key in load_file(saved / "model.safetensors"))


def test_save_over_an_existing_encoder_replaces_it(tiny_encoder, other_encoder, tmp_path):
    target = tmp_path / "encoder"
    save_encoder(tiny_encoder, target)
    save_encoder(other_encoder, target)
    assert states_equal(load_encoder(target).state_dict(), other_encoder.state_dict())
    assert [p.name for p in tmp_path.iterdir()] == ["encoder"]  # no temp folders left behind


def test_load_encoder_rejects_a_folder_without_config(tmp_path):
    with pytest.raises(XstiltsError, match="no config.json"):
        load_encoder(tmp_path)


def test_frozen_word_embeddings_stay_fixed_while_the_rest_trains(tiny_encoder, tokenizer):
    model = build_task_model(tiny_encoder, "classification", num_labels=2)
    freeze_word_embeddings(model)
    embeddings = model.encoder.get_input_embeddings().weight
    before_embeddings = embeddings.detach().clone()
    before_query = model.encoder.encoder.layer[0].attention.self.query.weight.detach().clone()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    batch = dict(tokenizer(["un", "deux trois"], padding=True, return_tensors="pt"))
    model(**batch, labels=torch.tensor([0, 1])).loss.backward()
    optimizer.step()
    assert not embeddings.requires_grad
    assert torch.equal(embeddings, before_embeddings)
    assert not torch.equal(model.encoder.encoder.layer[0].attention.self.query.weight, before_query)
