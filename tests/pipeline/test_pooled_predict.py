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


def _logits(outputs: dict) -> np.ndarray:
    return np.stack([row for lang in sorted(outputs) for row in outputs[lang]["logits"]])


def test_frozen_compiled_evaluation_uses_the_weights_of_each_call(tiny_encoder, data_dir, monkeypatch):
    """cpu_eval_compile: the compiled graph holds its weights as constants, so weights loaded into
    the model afterwards (another selection's, another trial's) must get a graph of their own."""
    import torch

    spec = get_task("pawsx")
    tokenizer = load_tokenizer(tiny_encoder)
    sets = {lang: featurize(spec.kind, read_split(spec, data_dir, "dev", lang)[:24], tokenizer, max_length=48,
                            labels=spec.labels) for lang in ("en", "de")}
    torch.manual_seed(0)  # the same head every run
    model = build_task_model(load_encoder(tiny_encoder), spec.kind, len(spec.labels))
    real_compile, compiles = torch.compile, []
    monkeypatch.setattr(torch, "compile", lambda module, **options: compiles.append(1) or real_compile(module, **options))

    def both():
        with torch.autocast("cpu", dtype=torch.bfloat16):
            eager = _logits(pooled_model_outputs(model, sets, tokenizer.pad_token_id, 8))
            frozen = _logits(pooled_model_outputs(model, sets, tokenizer.pad_token_id, 8, frozen_compile=True))
        return eager, frozen

    first_eager, first_frozen = both()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.Linear):
                module.weight.mul_(-1.5)  # other weights in the same model object, as load_weights does
    second_eager, second_frozen = both()
    assert len(compiles) == 2  # one graph per call
    scale = np.abs(second_eager - first_eager).max()
    assert scale > 0
    for eager, frozen in ((first_eager, first_frozen), (second_eager, second_frozen)):
        # bf16 noise (~1 % of the change here), far below what stale weights would leave (100 %)
        assert np.abs(frozen - eager).max() < 0.1 * scale
    # Not under CPU bf16 autocast, the setting changes nothing and compiles nothing.
    fp32 = _logits(pooled_model_outputs(model, sets, tokenizer.pad_token_id, 8, frozen_compile=True))
    assert len(compiles) == 2
    np.testing.assert_allclose(fp32, _logits(pooled_model_outputs(model, sets, tokenizer.pad_token_id, 8)), rtol=0, atol=0)


@pytest.mark.parametrize("task, split", [("panx", "dev"), ("xquad", "test")])
def test_frozen_compiled_evaluation_of_tags_and_spans_matches_eager(tiny_encoder, data_dir, task, split):
    """Per-token and start/end logits come through the compiled graph as eager bf16 gives them."""
    import torch

    from xstilts.pipeline.inputs import kind_options

    spec = get_task(task)
    tokenizer = load_tokenizer(tiny_encoder)
    sets = {lang: featurize(spec.kind, read_split(spec, data_dir, split, lang)[:6], tokenizer, max_length=64,
                            labels=spec.labels, **kind_options(spec.kind, 32)) for lang in ("en", "de")}
    torch.manual_seed(0)
    model = build_task_model(load_encoder(tiny_encoder), spec.kind, len(spec.labels) if spec.labels else None)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        eager = pooled_model_outputs(model, sets, tokenizer.pad_token_id, 8)
        frozen = pooled_model_outputs(model, sets, tokenizer.pad_token_id, 8, frozen_compile=True)
    compared = 0
    for lang, fs in sets.items():
        for name, rows in eager[lang].items():
            for a, b, length in zip(rows, frozen[lang][name], fs.lengths(), strict=True):
                np.testing.assert_allclose(b[:length], a[:length], atol=0.02 * (np.abs(a).max() + 1e-3))
                compared += 1
    assert compared >= 2 * len(sets)
