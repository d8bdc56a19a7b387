"""The run-level `cpu_bf16` switch reaches every phase's settings and content address."""

from __future__ import annotations

from pipeline_helpers import TRAIN, tiny_config
from xstilts.config import load_config
from xstilts.pipeline.graph import TrialGraph, phase_settings

TARGETS = {"pawsx": {"max_length": 48, "train": TRAIN, "train_split": "pawsx:dev[0:32]", "eval_split": "dev[100:116]"}}


def test_cpu_bf16_reaches_phase_settings_and_changes_phase_keys(tmp_path, data_dir, tiny_encoder):
    intermediate = {"task": "sst2", "train_split": "train[0:32]", "train": TRAIN}
    path = tiny_config(tmp_path, data_dir, tiny_encoder, TARGETS, intermediate)
    fp32, bf16 = load_config(path), load_config(path, ["cpu_bf16=true"])
    assert not phase_settings(fp32.targets["pawsx"].train, fp32).bf16_on_cpu
    assert phase_settings(bf16.targets["pawsx"].train, bf16).bf16_on_cpu
    assert phase_settings(bf16.intermediate.train, bf16).bf16_on_cpu
    graphs = TrialGraph.build(fp32), TrialGraph.build(bf16)
    for phase in ("intermediate", "target", "zero_shot"):
        assert graphs[0].node(phase).key != graphs[1].node(phase).key, phase
    assert graphs[0].node("base").key == graphs[1].node("base").key
