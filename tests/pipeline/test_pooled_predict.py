"""Predicting every language of a task in one length-sorted pass gives each language's own predictions."""

from __future__ import annotations

import numpy as np
import pytest

from xstilts.data.splits import read_split
from xstilts.features import featurize
from xstilts.models.encoder_io import load_encoder
from xstilts.models.task_model import build_task_model
from xstilts.pipeline.inputs import load_tokenizer
from xstilts.pipeline.predict import model_outputs, pooled_model_outputs, predict, predict_pooled
from xstilts.tasks.registry import get_task


@pytest.mark.parametrize("task, split", [("pawsx", "dev"), ("panx", "dev")])
def test_pooled_prediction_equals_per_language_prediction(tiny_encoder, data_dir, task, split):
    spec = get_task(task)
    tokenizer = load_tokenizer(tiny_encoder)
    labels = spec.labels
    sets = {lang: featurize(spec.kind, read_split(spec, data_dir, split, lang)[:40], tokenizer, max_length=64,
                            labels=labels) for lang in ("en", "de", "zh")}
    model = build_task_model(load_encoder(tiny_encoder), spec.kind, len(labels))
    pooled = pooled_model_outputs(model, sets, tokenizer.pad_token_id, 16)
    for lang, fs in sets.items():
        alone = model_outputs(model, fs, tokenizer.pad_token_id, 16)
        assert len(pooled[lang]["logits"]) == len(fs) > 0
        for a, b, length in zip(pooled[lang]["logits"], alone["logits"], fs.lengths(), strict=True):
            if a.ndim == 2:  # per-token logits: rows are padded to their batch, compare real tokens
                a, b = a[:length], b[:length]
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    together = predict_pooled(model, sets, labels, tokenizer.pad_token_id, 16)
    assert together == {lang: predict(model, fs, labels, tokenizer.pad_token_id, 16) for lang, fs in sets.items()}
