import pytest

from synthetic_frames import SyntheticTruth, synthetic_results_frame
from xstilts.analysis.selection import ALL_TRIALS, XTREME, selection_comparison


def test_oracle_gap_is_recovered_per_task_and_overall():
    frame = synthetic_results_frame(SyntheticTruth(oracle_bonus=1.5), seeds=(0, 1), n_diverged=2)
    table = selection_comparison(frame, n_resamples=200)
    assert set(table["intermediate_task"]) == {"none", "mnli", "squad", ALL_TRIALS}
    assert set(table["target_task"]) == {"xnli", "pawsx", XTREME}
    assert table["oracle_gap"].to_numpy() == pytest.approx(1.5)
    assert (table["target_dev"] - table["english_dev"]).to_numpy() == pytest.approx(1.5)
    overall = table[(table["intermediate_task"] == ALL_TRIALS) & (table["target_task"] == XTREME)].iloc[0]
    assert overall["n_trials_paired"] == 2 + 48 - 2  # baselines + finished trials


def test_missing_oracle_scores_are_counted_not_hidden():
    frame = synthetic_results_frame(seeds=(0,))
    frame = frame[~((frame["selection"] == "target_dev") & (frame["intermediate_task"] == "squad"))]
    table = selection_comparison(frame, n_resamples=100).set_index(["intermediate_task", "target_task"])
    squad = table.loc[("squad", XTREME)]
    assert squad["n_trials_paired"] == 0 and squad["n_trials_unpaired"] == 12
    assert table.loc[("mnli", XTREME), "n_trials_paired"] == 12
