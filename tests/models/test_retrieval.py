"""Sentence embeddings for retrieval: mean over real tokens of a chosen layer."""

from __future__ import annotations

import torch

from xstilts.models.retrieval import embed_sentences, middle_layer

SENTENCES = ["Bonjour.", "A much longer sentence that forces the first one to be padded."]


def test_embeddings_ignore_padding(tiny_encoder, tokenizer):
    tiny_encoder.eval()
    batch = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    alone = tokenizer(SENTENCES[:1], return_tensors="pt")
    with torch.no_grad():
        padded = embed_sentences(tiny_encoder, batch["input_ids"], batch["attention_mask"])
        single = embed_sentences(tiny_encoder, alone["input_ids"], alone["attention_mask"])
    assert padded.shape == (2, tiny_encoder.config.hidden_size)
    assert torch.allclose(padded[0], single[0], atol=1e-5)


def test_layer_selects_hidden_states_and_defaults_to_the_middle(model_cache, tokenizer):
    from transformers import AutoModel

    from tiny_models import tiny_encoder_dir

    encoder = AutoModel.from_pretrained(tiny_encoder_dir(model_cache, layers=4)).eval()
    batch = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    ids, mask = batch["input_ids"], batch["attention_mask"]
    with torch.no_grad():
        states = encoder(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states
        by_layer = [embed_sentences(encoder, ids, mask, layer=k) for k in range(5)]
        default = embed_sentences(encoder, ids, mask)
    real = mask.unsqueeze(-1).float()
    expected_first = (states[0] * real).sum(1) / real.sum(1)
    assert torch.allclose(by_layer[0], expected_first, atol=1e-6)
    assert middle_layer(encoder) == 2
    assert torch.equal(default, by_layer[2])
    assert not torch.allclose(by_layer[2], by_layer[4])
    with torch.no_grad():
        assert torch.equal(embed_sentences(encoder, ids, mask, layer=-1), by_layer[4])


def test_pooled_layer_resolves_defaults_and_negative_indices():
    from xstilts.models.retrieval import pooled_layer

    assert pooled_layer(12, None) == 6
    assert pooled_layer(12, -1) == 12
    assert pooled_layer(12, 0) == 0
    assert pooled_layer(4, -5) == 0
    for bad in (13, -14):
        try:
            pooled_layer(12, bad)
        except ValueError as err:
            assert "12 layers" in str(err)
        else:
            raise AssertionError(f"layer {bad} was accepted")


def test_encoder_loaded_up_to_the_pooled_layer_embeds_exactly_like_the_full_one(model_cache, tokenizer):
    from xstilts.models.encoder_io import load_encoder
    from tiny_models import tiny_encoder_dir

    folder = tiny_encoder_dir(model_cache, layers=4)
    full, truncated = load_encoder(folder).eval(), load_encoder(folder, num_layers=2).eval()
    assert truncated.config.num_hidden_layers == 2
    batch = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        expected = embed_sentences(full, batch["input_ids"], batch["attention_mask"], layer=2)
        got = embed_sentences(truncated, batch["input_ids"], batch["attention_mask"], layer=2)
    assert torch.equal(expected, got)
