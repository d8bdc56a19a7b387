import numpy as np
import pandas as pd
import pytest
from scipy import stats

from xstilts.analysis.effects import grid_effects, main_effects, status_counts
from xstilts.analysis.frame import ALL_TASKS, trial_table
from synthetic_frames import SyntheticTruth, synthetic_results_frame
from xstilts.analysis.gains import cell_gains, trial_gains
from xstilts.analysis.ols import NotEstimableError, fit_ols, ols_estimates


def english_dev_gains(frame):
    gains = trial_gains(cell_gains(frame))
    return gains[gains["selection"] == "english_dev"]


def test_main_effects_recover_known_coefficients():
    """Ten synthetic studies: each 95% CI should hold its true coefficient in most of them."""
    truth = SyntheticTruth(task_effects={"mnli": 1.0, "squad": 2.5}, gain_per_log2_batch=0.5, gain_per_log10_lr=-1.0,
                           gain_noise_sd=0.5)
    expected = {"log2_batch_size": 0.5, "log10_learning_rate": -1.0, "task[squad]": 1.5, "intercept": 1.0}
    fits = [main_effects(english_dev_gains(synthetic_results_frame(truth, seeds=tuple(range(5)), rng_seed=study)))
            for study in range(10)]
    for term, value in expected.items():
        rows = [fit.coefficients.set_index("term").loc[term] for fit in fits]
        covered = sum(row["ci_low"] < value < row["ci_high"] for row in rows)
        assert covered >= 8, (term, covered)  # 7 or fewer of 10 has probability ~1% at 95% coverage
        assert np.mean([row["estimate"] for row in rows]) == pytest.approx(value, abs=0.25)
    # Informative, not merely wide: the batch-size slope is pinned down to about ±0.1.
    batch = fits[0].coefficients.set_index("term").loc["log2_batch_size"]
    assert batch["ci_high"] - batch["ci_low"] < 0.3
    assert batch["p_value"] < 1e-6 and fits[0].n == 120


def test_ols_standard_error_matches_scipy_linregress():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(50)
    y = 2.0 - 0.7 * x + rng.standard_normal(50)
    fit = fit_ols(pd.DataFrame({"x": x}), y).coefficients.set_index("term")
    reference = stats.linregress(x, y)
    assert fit.loc["x", "estimate"] == pytest.approx(reference.slope)
    assert fit.loc["x", "std_error"] == pytest.approx(reference.stderr)
    assert fit.loc["intercept", "std_error"] == pytest.approx(reference.intercept_stderr)
    assert fit.loc["x", "p_value"] == pytest.approx(reference.pvalue)


def test_collinear_terms_are_not_estimable():
    x = np.arange(10.0)
    with pytest.raises(NotEstimableError, match="collinear"):
        fit_ols(pd.DataFrame({"a": x, "b": 2 * x}), x)
    with pytest.raises(NotEstimableError, match="cannot identify"):
        ols_estimates(pd.DataFrame({"a": x[:1]}), x[:1])
    with pytest.raises(NotEstimableError, match="no degree of freedom"):
        fit_ols(pd.DataFrame({"a": x[:2]}), x[:2])


def test_an_exactly_identified_fit_still_gives_its_coefficients():
    # Two batch sizes in one seed: the seed's slope is the difference over the log2 step.
    estimates = ols_estimates(pd.DataFrame({"log2_batch_size": [3.0, 5.0]}), [1.0, 0.0])
    assert estimates["log2_batch_size"] == pytest.approx(-0.5)
    assert estimates["intercept"] == pytest.approx(2.5)


def test_single_level_settings_are_left_out_of_the_regression():
    frame = synthetic_results_frame(batch_sizes=(32,), seeds=(0, 1, 2, 3))
    terms = set(main_effects(english_dev_gains(frame)).coefficients["term"])
    assert terms == {"intercept", "log10_learning_rate", "task[squad]"}


def test_grid_counts_diverged_trials_and_keeps_cells_without_gains():
    frame = synthetic_results_frame(seeds=(0, 1), n_diverged=5, n_failed=2, rng_seed=4)
    trials = trial_table(frame)
    grid = grid_effects(english_dev_gains(frame), trials)
    per_task = grid[grid["intermediate_task"] != ALL_TASKS]
    pooled = grid[grid["intermediate_task"] == ALL_TASKS]
    assert len(per_task) == 2 * 4 * 3 and len(pooled) == 4 * 3
    assert per_task["n_diverged"].sum() == 5 and pooled["n_diverged"].sum() == 5
    assert per_task["n_failed"].sum() == 2
    assert (per_task["n_done"] + per_task["n_diverged"] + per_task["n_failed"] == per_task["n_trials"]).all()
    assert (per_task["n_with_gain"].fillna(0) == per_task["n_done"]).all()


def test_a_cell_whose_runs_all_diverged_still_shows():
    frame = synthetic_results_frame(seeds=(0,))
    frame.loc[(frame["batch_size"] == 64) & (frame["learning_rate"] == 1e-4), "status"] = "diverged"
    frame.loc[frame["status"] == "diverged", "score"] = np.nan
    grid = grid_effects(english_dev_gains(frame), trial_table(frame))
    cell = grid[(grid["batch_size"] == 64) & (grid["learning_rate"] == 1e-4) & (grid["intermediate_task"] == "mnli")]
    assert len(cell) == 1 and cell.iloc[0]["n_diverged"] == 1 and np.isnan(cell.iloc[0]["mean_gain"])


def test_status_counts_fill_absent_statuses_with_zero():
    trials = pd.DataFrame({"task": ["a", "a", "b"], "status": ["done", "diverged", "done"]})
    counts = status_counts(trials, ["task"]).set_index("task")
    assert counts.loc["b", ["n_done", "n_diverged", "n_failed", "n_trials"]].tolist() == [1, 0, 0, 1]
