"""The prediction pass: pooled length-sorted batches, weights cast once under CPU bf16 autocast."""

import random

import numpy as np
import torch
from transformers import BertConfig, BertModel

from xstilts.features.featureset import FeatureSet
from xstilts.models.task_model import build_task_model
from xstilts.pipeline import predict as predict_module
from xstilts.pipeline.predict import model_outputs, pooled_model_outputs

PAD = 0


def _tiny_model() -> torch.nn.Module:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, pad_token_id=PAD)
    return build_task_model(BertModel(config), "pair_classification", 2).eval()


def _features(n: int, seed: int) -> FeatureSet:
    rng = random.Random(seed)
    ids = [[rng.randrange(1, 50) for _ in range(rng.randint(2, 60))] for _ in range(n)]
    return FeatureSet(
        kind="pair_classification",
        inputs={"input_ids": ids, "attention_mask": [[1] * len(row) for row in ids],
                "token_type_ids": [[0] * len(row) for row in ids], "labels": [0] * n},
        refs={"example_index": list(range(n))},
        examples={"example_id": [str(i) for i in range(n)]},
    )


def test_pooled_batches_predict_what_one_row_at_a_time_does():
    # One row a batch has no padding at all: what every batching must reproduce (float noise aside).
    model, sets = _tiny_model(), {"a": _features(70, 1), "b": _features(30, 2)}
    pooled = pooled_model_outputs(model, sets, PAD, batch_size=8)
    for key, fs in sets.items():
        alone = model_outputs(model, fs, PAD, batch_size=1)
        np.testing.assert_allclose(np.stack(pooled[key]["logits"]), np.stack(alone["logits"]), atol=1e-5)


def test_weights_cast_once_gives_bit_identical_logits_under_cpu_bf16_autocast(monkeypatch):
    model, sets = _tiny_model(), {"a": _features(50, 3)}
    with torch.autocast("cpu", dtype=torch.bfloat16):
        cast_once = pooled_model_outputs(model, sets, PAD, batch_size=8)
        assert predict_module._weights_cast_once(model, torch.device("cpu")) is not model
        monkeypatch.setattr(predict_module, "_weights_cast_once", lambda model, device: model)
        per_batch = pooled_model_outputs(model, sets, PAD, batch_size=8)
    assert np.array_equal(np.stack(cast_once["a"]["logits"]), np.stack(per_batch["a"]["logits"]))
    monkeypatch.undo()
    assert predict_module._weights_cast_once(model, torch.device("cpu")) is model  # no autocast, no copy
