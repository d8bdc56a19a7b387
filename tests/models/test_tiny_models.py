"""Tiny test encoders (tests/tiny_models.py): seeded, cached, and real HF checkpoints with the e5 tokenizer."""

from __future__ import annotations

import torch
from transformers import AutoModel, BertModel

from tiny_models import E5_VOCAB_SIZE, tiny_encoder_dir


def test_loadable_as_a_hugging_face_checkpoint(tmp_path, tokenizer):
    folder = tiny_encoder_dir(tmp_path, hidden=16, layers=1, heads=2, seed=4)
    model = AutoModel.from_pretrained(folder)
    assert isinstance(model, BertModel)
    assert model.config.hidden_size == 16 and model.config.num_hidden_layers == 1
    assert model.config.vocab_size == E5_VOCAB_SIZE == len(tokenizer)


def test_tokenizer_is_the_real_e5_one(tokenizer):
    ids = tokenizer("query: Hello world")["input_ids"]
    # <s> ▁que ry : ▁Hello ▁world </s> in XLM-R's SentencePiece vocabulary
    assert ids == [0, 41, 1294, 12, 35378, 8999, 2]
    assert (tokenizer.pad_token_id, tokenizer.mask_token_id, tokenizer.model_max_length) == (1, 250_001, 512)


def test_seed_decides_the_weights_and_leaves_the_global_rng_alone(tmp_path):
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    first = AutoModel.from_pretrained(tiny_encoder_dir(tmp_path / "a", seed=0))
    assert torch.equal(torch.rand(1), expected_next)
    again = AutoModel.from_pretrained(tiny_encoder_dir(tmp_path / "b", seed=0))
    other = AutoModel.from_pretrained(tiny_encoder_dir(tmp_path / "c", seed=1))
    weight = "embeddings.word_embeddings.weight"
    assert torch.equal(first.state_dict()[weight], again.state_dict()[weight])
    assert not torch.equal(first.state_dict()[weight], other.state_dict()[weight])


def test_built_once_then_reused(tmp_path):
    folder = tiny_encoder_dir(tmp_path)
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert tiny_encoder_dir(tmp_path) == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]
