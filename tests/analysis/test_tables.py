import numpy as np
import pytest

from synthetic_frames import SyntheticTruth, synthetic_results_frame
from xstilts.analysis.gains import cell_gains, task_gains, trial_gains
from xstilts.analysis.selection import XTREME
from xstilts.analysis.tables import language_gain_table, setting_gain_table, task_gain_table

TRUTH = SyntheticTruth(task_effects={"mnli": 1.0, "squad": 3.0}, gain_per_log2_batch=0.5, gain_noise_sd=0.0)


@pytest.fixture(scope="module")
def tables():
    cells = cell_gains(synthetic_results_frame(TRUTH, seeds=(0, 1, 2), n_diverged=1))
    primary = cells[cells["selection"] == "english_dev"]
    return cells, task_gains(primary), trial_gains(primary)


def test_setting_table_recovers_each_setting_with_seed_counts(tables):
    _, per_task, gains = tables
    table = setting_gain_table(per_task, gains)
    expected = table["intermediate_task"].map(TRUTH.task_effects) + 0.5 * np.log2(table["batch_size"])
    np.testing.assert_allclose(table["mean_gain"], expected, atol=1e-9)
    assert set(table["target_task"]) == {"xnli", "pawsx", XTREME}
    assert sorted(table["n_seeds"].unique()) == [2, 3]  # the diverged trial leaves one setting with 2 seeds


def test_task_table_pools_the_grid_within_seeds_with_a_ci_over_seeds(tables):
    _, per_task, gains = tables
    table = task_gain_table(per_task, gains).set_index(["intermediate_task", "target_task"])
    grid_mean = 0.5 * np.mean(np.log2([8, 16, 32, 64]))
    for task, effect in TRUTH.task_effects.items():
        row = table.loc[(task, XTREME)]
        assert row["n_trials"] in (35, 36) and row["n_seeds"] == 3
        # No gain noise: seeds differ only where the diverged trial leaves a setting out of one seed.
        assert row["ci_low"] <= row["mean_gain"] <= row["ci_high"] and row["ci_high"] - row["ci_low"] < 1.0
        assert row["mean_gain"] == pytest.approx(effect + grid_mean, abs=0.1)
    # Two families: the XTREME rows (2 tests) and the task x target cells (4 tests).
    assert sorted(table["family_size"].unique()) == [2, 4]
    assert (table["p_adjusted"] >= table["p_value"]).all()


def test_language_table_has_one_cell_per_task_target_and_language(tables):
    cells, _, _ = tables
    table = language_gain_table(cells, "english_dev")
    assert len(table) == 2 * (3 + 3)
    finished = cells[cells["selection"] == "english_dev"].groupby("intermediate_task")["trial_id"].nunique()
    assert (table["n_trials"] == table["intermediate_task"].map(finished)).all()
    assert finished.sum() == 71  # 72 trials, one diverged
