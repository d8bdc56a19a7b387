import numpy as np
import pandas as pd
import pytest

from synthetic_frames import SyntheticTruth, synthetic_results_frame
from xstilts.analysis.gains import cell_gains, task_gains, trial_gains
from xstilts.analysis.study import analyse_study
from xstilts.errors import DataError


def row(trial, task, seed, target, language, score, selection="english_dev", settings="default", status="done"):
    baseline = task == "none"
    return {"trial_id": trial, "intermediate_task": task, "batch_size": np.nan if baseline else 16,
            "learning_rate": np.nan if baseline else 1e-5, "seed": seed, "status": status, "target_task": target,
            "language": language, "metric": "accuracy", "score": score, "selection": selection,
            "examples_per_s": np.nan if baseline else 100.0, "real_tokens_per_s": np.nan if baseline else 4000.0,
            "device_hours": np.nan if baseline else 0.1, "target_settings": settings}


def test_gain_is_paired_with_the_same_seed_baseline():
    # Seed shifts are large (sd 2 per cell) but shared with the same-seed baseline, so with
    # no other noise every gain equals the task effect exactly.
    truth = SyntheticTruth(task_effects={"mnli": 1.5, "squad": -0.5}, gain_noise_sd=0.0, cell_noise_sd=0.0)
    cells = cell_gains(synthetic_results_frame(truth, seeds=(0, 1, 2)))
    expected = cells["intermediate_task"].map(truth.task_effects)
    np.testing.assert_allclose(cells["gain"], expected, atol=1e-9)
    assert cells["baseline_score"].notna().all()


def test_xtreme_gain_averages_languages_within_a_task_then_tasks():
    frame = pd.DataFrame([
        row("b0", "none", 0, "xnli", "en", 50), row("b0", "none", 0, "xnli", "de", 50),
        row("b0", "none", 0, "pawsx", "en", 60),
        row("t1", "mnli", 0, "xnli", "en", 51), row("t1", "mnli", 0, "xnli", "de", 53),
        row("t1", "mnli", 0, "pawsx", "en", 66)])
    gains = trial_gains(cell_gains(frame))
    # xnli: mean(1, 3) = 2; pawsx: 6; XTREME = mean(2, 6) = 4, not the row mean 10/3.
    assert gains.loc[0, "xtreme_gain"] == pytest.approx(4.0)
    assert gains.loc[0, "n_target_tasks"] == 2 and gains.loc[0, "n_cells"] == 3
    per_task = task_gains(cell_gains(frame)).set_index("target_task")["gain"]
    assert per_task.to_dict() == pytest.approx({"xnli": 2.0, "pawsx": 6.0})


def test_rows_with_other_target_settings_get_no_gain_and_are_kept():
    frame = pd.DataFrame([
        row("b0", "none", 0, "xnli", "en", 50, settings="lr=2e-5"),
        row("t1", "mnli", 0, "xnli", "en", 55, settings="lr=2e-5"),
        row("t2", "mnli", 0, "xnli", "en", 58, settings="lr=5e-5")])
    cells = cell_gains(frame).set_index("trial_id")
    assert cells.loc["t1", "gain"] == pytest.approx(5.0)
    assert np.isnan(cells.loc["t2", "gain"])  # counted as "without baseline", not dropped


def test_two_finished_baselines_for_one_cell_are_an_error():
    frame = pd.DataFrame([row("b0", "none", 0, "xnli", "en", 50), row("b0bis", "none", 0, "xnli", "en", 51),
                          row("t1", "mnli", 0, "xnli", "en", 55)])
    with pytest.raises(DataError, match="more than one finished baseline for seed=0"):
        cell_gains(frame)


def test_unfinished_trials_have_no_gains():
    frame = synthetic_results_frame(seeds=(0, 1), n_diverged=3, n_failed=2)
    gains = trial_gains(cell_gains(frame))
    unfinished = frame.loc[frame["status"] != "done", "trial_id"].unique()
    assert len(unfinished) == 5
    assert not set(unfinished) & set(gains["trial_id"])
    assert gains["selection"].value_counts().to_dict() == {"english_dev": 43, "target_dev": 43}


def test_a_trial_without_scores_has_one_row_of_missing_keys_and_is_counted():
    # The store keeps a trial that failed before scoring as one row with NaN target, language, score.
    failed = row("t9", "mnli", 0, np.nan, np.nan, np.nan, selection=np.nan, status="failed")
    frame = pd.DataFrame([row("b0", "none", 0, "xnli", "en", 50), row("t1", "mnli", 0, "xnli", "en", 55), failed])
    assert list(cell_gains(frame)["trial_id"]) == ["t1"]
    analysis = analyse_study(frame, n_resamples=50)
    assert analysis.coverage["trials_failed"] == 1 and analysis.coverage["trials"] == 2
    assert list(analysis.trials.loc[analysis.trials["status"] == "failed", "trial_id"]) == ["t9"]
