"""The study-phase figure: ratios per repetition of CPU-time rates, wall-clock ratio beside them."""

from __future__ import annotations

import pytest

from benchmarks import study_phases
from benchmarks.mfu import PeakWindow
from xstilts.train.peak import Probe


def _side(cpu_rate: float, wall_rate: float) -> dict:
    return {"phase": {"examples_per_cpu_s": cpu_rate, "examples_per_s": wall_rate, "lengths": [10, 20]}}


def test_the_figure_pairs_each_repetition_and_uses_cpu_time_rates(monkeypatch):
    monkeypatch.setattr(study_phases, "_flops_per_example", lambda phase, lengths: 1.0e9)
    old, new, packed = study_phases.OLD_COMMIT, "current", "current, packed"
    runs = [
        {old: _side(10.0, 10.0), new: _side(25.0, 5.0), packed: _side(30.0, 30.0)},
        {old: _side(20.0, 20.0), new: _side(30.0, 60.0), packed: _side(40.0, 40.0)},
        {old: _side(10.0, 10.0), new: _side(21.0, 20.0), packed: _side(20.0, 20.0)},
    ]
    window = PeakWindow("bf16", [Probe(1.0e11, "cpu", "bf16", 1, 2048, "2.x", "2026-01-01T00:00:00+00:00")])
    figure = study_phases._figure("phase", runs, window)
    assert list(figure.spread.samples) == pytest.approx([2.5, 1.5, 2.1])  # current / old, repetition by repetition
    assert figure.spread.median == pytest.approx(2.1) and figure.verdict == "pass"
    assert figure.mfu[old] == pytest.approx(10.0 * 1.0e9 / 1.0e11)  # median rate x FLOPs / peak
    assert "per wall second 2.00× (0.50–3.00×)" in figure.setup
    assert "(current, packed): 2.00× (2.00–3.00×)" in figure.setup
