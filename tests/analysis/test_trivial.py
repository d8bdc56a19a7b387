"""Baselines against a trivial predictor: the margin per target, and targets reported apart."""

import numpy as np
import pandas as pd
import pytest

from synthetic_frames import SyntheticTruth, synthetic_results_frame
from xstilts.analysis.frame import TRIVIAL_SELECTION
from xstilts.analysis.study import analyse_study
from xstilts.analysis.trivial import trivial_margins
from xstilts.analysis.views import trial_target_gains


def with_trivial(frame: pd.DataFrame, trivial_score: dict[str, float]) -> pd.DataFrame:
    """Add a trivial row for every english_dev row (every trial x target x language)."""
    rows = frame[frame["selection"] == "english_dev"].copy()
    rows["selection"] = TRIVIAL_SELECTION
    rows["score"] = rows["target_task"].map(trivial_score).where(rows["status"] == "done")
    return pd.concat([frame, rows], ignore_index=True)


def test_margin_is_baseline_minus_trivial_with_a_seed_level_ci():
    frame = synthetic_results_frame(seeds=(0, 1, 2, 3, 4))
    baseline = frame[(frame["intermediate_task"] == "none") & (frame["selection"] == "english_dev")]
    per_seed = baseline.groupby(["target_task", "seed"])["score"].mean()
    # xnli's trivial score sits just under its lowest baseline seed; pawsx's above its mean.
    trivial = {"xnli": per_seed["xnli"].min() - 0.5, "pawsx": per_seed["pawsx"].mean() + 1.0}
    margins = trivial_margins(with_trivial(frame, trivial), "english_dev").set_index("target_task")
    margin = per_seed["xnli"] - trivial["xnli"]
    assert margins.loc["xnli", "mean"] == pytest.approx(margin.mean())
    assert margins.loc["xnli", "n_seeds"] == 5 and margins.loc["xnli", "n_languages"] == 3
    assert margins.loc["xnli", "ci_low"] > 0 and not margins.loc["xnli", "reported_apart"]
    assert margins.loc["pawsx", "mean"] == pytest.approx(-1.0) and margins.loc["pawsx", "reported_apart"]


def test_a_target_that_does_not_beat_trivial_leaves_the_averaged_score():
    truth = SyntheticTruth(task_effects={"mnli": 1.0}, gain_noise_sd=0.2)
    frame = synthetic_results_frame(truth, seeds=(0, 1, 2), learning_rates=(1e-5,), batch_sizes=(8, 16))
    baseline = frame[(frame["intermediate_task"] == "none") & (frame["selection"] == "english_dev")]
    frame = with_trivial(frame, {"xnli": 0.0, "pawsx": baseline["score"].max() + 5})
    analysis = analyse_study(frame, n_resamples=50)
    assert analysis.apart == ["pawsx"]
    # The averaged score is xnli's alone; per-target gains still list pawsx.
    xnli = analysis.task_gains[analysis.task_gains["target_task"] == "xnli"].set_index("trial_id")["gain"]
    np.testing.assert_allclose(analysis.gains.set_index("trial_id")["xtreme_gain"].sort_index(), xnli.sort_index())
    assert "pawsx" in set(analysis.task_table["target_task"])
    # No view counts the trivial rows as a selection rule or a trial's score.
    assert TRIVIAL_SELECTION not in set(analysis.cells["selection"])
    assert set(analysis.selection.columns).isdisjoint({TRIVIAL_SELECTION})
    view = trial_target_gains(frame)
    assert len(view) == len(trial_target_gains(frame[frame["selection"] != TRIVIAL_SELECTION]))


def test_without_trivial_rows_the_margins_are_empty():
    analysis = analyse_study(synthetic_results_frame(seeds=(0, 1), batch_sizes=(8, 16)), n_resamples=50)
    assert analysis.trivial.empty and analysis.apart == []
