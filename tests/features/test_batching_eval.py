"""The prediction pass: pooled length-sorted batches, weights cast once under CPU bf16 autocast."""

import random

import numpy as np
import torch
from transformers import BertConfig, BertModel

from xstilts.features.featureset import FeatureSet
from xstilts.models.task_model import build_task_model
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


def test_under_cpu_bf16_autocast_each_linear_weight_is_cast_once_per_call_not_per_batch():
    # Why predict does not cast the weights itself: autocast caches the cast of a leaf tensor
    # that requires grad for the whole region the pipeline opens around predict_pooled. A trained
    # model's linear weights are such leaves; were they not, every batch would cast them again.
    from torch.profiler import profile

    model, sets = _tiny_model(), {"a": _features(48, 3)}  # 6 batches of 8
    weights = [m.weight for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert weights and all(w.requires_grad and w.is_leaf for w in weights)
    with torch.autocast("cpu", dtype=torch.bfloat16), profile(record_shapes=True) as prof:
        pooled_model_outputs(model, sets, PAD, batch_size=8)
    shapes = [event.input_shapes[0] for event in prof.events() if event.name == "aten::_to_copy"]
    weight_casts = [shape for shape in shapes if len(shape) == 2 and shape[0] != 8]  # 2-D, not a batch
    assert len(weight_casts) == len(weights)
