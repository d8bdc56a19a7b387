"""Synthetic studies shared by the report tests (small: two CPU cores run every test)."""

from __future__ import annotations

import pytest

from report_fixtures import FAST_RESAMPLES, HOSTILE_TASK
from synthetic_frames import SyntheticTruth, synthetic_curves_frame, synthetic_results_frame


@pytest.fixture(scope="session")
def hostile_study():
    """A study whose intermediate task name is markup, with diverged and failed trials."""
    truth = SyntheticTruth(task_effects={"mnli": 1.0, HOSTILE_TASK: 2.0}, gain_per_log2_batch=0.5)
    frame = synthetic_results_frame(truth, seeds=(0, 1, 2), n_diverged=2, n_failed=1)
    return frame, synthetic_curves_frame(frame)


@pytest.fixture(scope="session")
def hostile_report(hostile_study, tmp_path_factory):
    from xstilts.report.build import build_report

    frame, curves = hostile_study
    out = tmp_path_factory.mktemp("report")
    notes = {"data_per_phase": {"intermediate": "2,000 examples", "target": "500 examples"},
             "model": "tiny <b>model</b>"}
    return build_report(frame, curves, out, title="Study <i>x</i>", study_notes=notes, n_resamples=FAST_RESAMPLES)
