"""MFU beside the ratios: the peak window, the FLOPs of a set, the text the summary reads back."""

from __future__ import annotations

import pytest
import torch

from benchmarks import mfu as mfu_module
from benchmarks.mfu import (
    PeakWindow,
    format_mfu,
    forward_flops,
    mean_training_flops,
    mfu,
    mfu_sentence,
)
from benchmarks.report import MFU_PATTERN
from xstilts.train.peak import Probe


def _probe(flops: float) -> Probe:
    return Probe(flops, "Some CPU", "bf16", 1, 2048, "2.x", "2026-01-01T00:00:00+00:00")


def test_peak_window_divides_by_the_mean_of_its_start_and_end_probes(monkeypatch):
    readings = iter([_probe(1.0e12), _probe(0.5e12)])
    monkeypatch.setattr(mfu_module, "probe", lambda dtype: next(readings))
    window = PeakWindow.start("bf16").end()
    assert window.peak == pytest.approx(0.75e12)
    assert mfu(0.15e12, window) == pytest.approx(0.2)
    assert window.describe() == "bf16 matmul probe 1.00/0.50 TFLOP/s (start/end)"


def test_set_flops_follow_the_palm_accounting_without_embeddings():
    model = torch.nn.Sequential(torch.nn.Embedding(100, 4), torch.nn.Linear(4, 3))  # N = 15, no attention
    assert mean_training_flops(model, [2, 4]) == pytest.approx(6 * 15 * 3)
    assert forward_flops(model, [2, 4]) == pytest.approx(2 * 15 * 6)


def test_the_summary_reads_back_the_mfu_the_sentence_writes(monkeypatch):
    monkeypatch.setattr(mfu_module, "probe", lambda dtype: _probe(1e12))
    sentence = mfu_sentence({"xstilts": 0.123, "Trainer": 0.05}, [PeakWindow.start("fp32").end()])
    found = MFU_PATTERN.search(f"batch 8; {sentence}")
    assert found.group(1).strip() == format_mfu({"xstilts": 0.123, "Trainer": 0.05}) == "xstilts 12.3 %, Trainer 5.0 %"


def test_the_profile_table_lists_operators_and_the_matmul_share():
    from torch.profiler import ProfilerActivity, profile

    from benchmarks.profile import top_ops

    a = torch.randn(64, 64)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        torch.mm(a, a)
        torch.relu(a)
    text = top_ops(prof, 5)
    assert "| `aten::mm` |" in text and "matrix multiplications (mm, addmm, bmm, oneDNN)" in text
