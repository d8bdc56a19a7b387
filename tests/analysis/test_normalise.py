"""Throughput scaled to a reference machine speed: golden numbers."""

import math

import pandas as pd
import pytest

from xstilts.analysis.normalise import normalised_throughput, probe_peak, reference_peak


def _frame():
    # Trial b ran on a machine at half speed and at half the rate: the same trial, a slow day.
    return pd.DataFrame({
        "trial_id": ["a", "b", "c", "old"],
        "examples_per_s": [44.0, 22.0, 30.0, 40.0],
        "real_tokens_per_s": [880.0, 440.0, 600.0, 800.0],
        "peak_flops_start": [1.0e12, 0.4e12, 1.0e12, None],
        "peak_flops_end": [1.0e12, 0.6e12, None, None],
    })


def test_probe_peak_is_the_mean_of_the_phase_start_and_end_probes():
    peaks = probe_peak(_frame())
    assert peaks.tolist()[:3] == [1.0e12, 0.5e12, 1.0e12]
    assert math.isnan(peaks.iloc[3])  # never probed


def test_a_slow_day_is_scaled_back_to_the_reference_speed():
    out = normalised_throughput(_frame())
    assert reference_peak(_frame()) == 1.0e12  # median of 1.0, 0.5, 1.0
    assert out["examples_per_s_at_reference"].tolist()[:3] == pytest.approx([44.0, 44.0, 30.0])
    assert out["real_tokens_per_s_at_reference"].iloc[1] == pytest.approx(880.0)
    assert math.isnan(out["examples_per_s_at_reference"].iloc[3])  # no probe: NaN, not the raw rate
    assert out["examples_per_s"].tolist() == _frame()["examples_per_s"].tolist()  # raw kept beside


def test_a_stated_reference_and_a_frame_without_probes():
    out = normalised_throughput(_frame(), reference=2.0e12)
    assert out["examples_per_s_at_reference"].iloc[0] == pytest.approx(88.0)
    bare = normalised_throughput(_frame().drop(columns=["peak_flops_start", "peak_flops_end"]))
    assert bare["examples_per_s_at_reference"].isna().all()
    with pytest.raises(ValueError, match="reference peak"):
        normalised_throughput(_frame(), reference=0.0)
