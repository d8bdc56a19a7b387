"""Intermediate training on a task mixture with masked-LM mixed in, through the pipeline."""

from __future__ import annotations

import numpy as np

from pipeline_helpers import TRAIN, tiny_config
from xstilts.config import load_config
from xstilts.features.featureset import FeatureSet
from xstilts.pipeline.mixture import MLM, MixtureDataset, MixturePart, mixture_batch_order, part_probabilities
from xstilts.pipeline.execute import run_trial


def _part(name: str, n: int) -> MixturePart:
    inputs = {"input_ids": [[0, 5, 2]] * n, "attention_mask": [[1, 1, 1]] * n}
    fs = FeatureSet(kind="retrieval", inputs=inputs, refs={"example_index": list(range(n))}, examples={"example_id": [str(i) for i in range(n)]})
    return MixturePart(name, fs, lambda rows: {"n": len(rows)})


def test_batches_come_from_one_part_and_follow_the_mixture():
    dataset = MixtureDataset([_part("a", 400), _part("b", 100), _part(MLM, 100)])
    p = part_probabilities(dataset, "proportional", 2.0, mlm_share=0.5)
    assert np.allclose(p, [0.4, 0.1, 0.5])
    batches = mixture_batch_order(dataset, p, seed=0)(0, 4)
    assert len(batches) == 150  # 100 + 25 + 25 micro-batches per epoch
    parts = [{dataset.locate(i)[0] for i in batch} for batch in batches]
    assert all(len(s) == 1 for s in parts)
    share_mlm = sum(s == {2} for s in parts) / len(parts)
    assert 0.38 < share_mlm < 0.62
    assert mixture_batch_order(dataset, p, seed=0)(0, 4) == batches  # deterministic


def test_mixture_with_masked_lm_trains_and_transfers(tmp_path, data_dir, tiny_encoder):
    intermediate = {"task": "sst2+paraphrase_standin", "train_split": "train[0:32]", "dev_split": None, "max_length": 32,
                    "mlm": {"text_task": "tatoeba", "weight": 0.3, "max_examples": 48}, "train": TRAIN}
    targets = {"pawsx": {"train_split": "pawsx:dev[100:132]", "eval_split": "dev[200:216]", "languages": ["en", "de"], "max_length": 48, "train": TRAIN}}
    result = run_trial(load_config(tiny_config(tmp_path, data_dir, tiny_encoder, targets, intermediate)), trial_id="mix")
    assert result.status == "done", result.error
    inter = next(p for p in result.phases if p.phase == "intermediate")
    assert inter.meta["train_examples"] == 32 + 32 + 48
    assert inter.meta["steps"] > 0 and inter.throughput.examples_per_s > 0
    assert {r.language for r in result.scores} == {"en", "de"}
