import numpy as np
import pandas as pd
import pytest

from xstilts.analysis.frame import RESULT_COLUMNS, trial_table, validate_curves_frame, validate_results_frame
from synthetic_frames import synthetic_curves_frame, synthetic_results_frame
from xstilts.errors import DataError


def test_synthetic_frame_is_valid_and_has_one_baseline_per_seed():
    frame = synthetic_results_frame(seeds=(0, 1), n_diverged=2, n_failed=1)
    checked = validate_results_frame(frame)
    trials = trial_table(checked)
    assert (trials["intermediate_task"] == "none").sum() == 2
    assert trials["status"].value_counts().to_dict() == {"done": 47, "diverged": 2, "failed": 1}
    # Unfinished trials keep their rows, with no score.
    unfinished = checked[checked["status"] != "done"]
    assert len(unfinished) > 0 and unfinished["score"].isna().all()


@pytest.mark.parametrize("column", ["trial_id", "score", "selection", "examples_per_s"])
def test_missing_column_is_named_in_a_one_line_error(column):
    frame = synthetic_results_frame(seeds=(0,)).drop(columns=column)
    with pytest.raises(DataError) as caught:
        validate_results_frame(frame)
    assert f"missing column '{column}'" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_optional_columns_are_filled():
    frame = synthetic_results_frame(seeds=(0,)).drop(columns=["target_settings", "n_examples"])
    checked = validate_results_frame(frame)
    assert (checked["target_settings"] == "default").all()
    assert checked["n_examples"].isna().all()


def test_unknown_status_is_rejected():
    frame = synthetic_results_frame(seeds=(0,))
    frame.loc[0, "status"] = "exploded"
    with pytest.raises(DataError, match="column 'status' has value 'exploded'"):
        validate_results_frame(frame)


def test_non_numeric_throughput_is_rejected():
    frame = synthetic_results_frame(seeds=(0,))
    frame["examples_per_s"] = frame["examples_per_s"].astype(object)
    frame.loc[frame.index[-1], "examples_per_s"] = "fast"
    with pytest.raises(DataError, match="'examples_per_s' holds non-numeric"):
        validate_results_frame(frame)


def test_trial_parameters_must_be_constant_within_a_trial():
    frame = synthetic_results_frame(seeds=(0,))
    row = frame.index[frame["intermediate_task"] != "none"][0]
    frame.loc[row, "batch_size"] = 999
    with pytest.raises(DataError, match="more than one value in column 'batch_size'"):
        validate_results_frame(frame)


def test_two_scores_for_one_cell_are_rejected():
    frame = synthetic_results_frame(seeds=(0,))
    duplicate = frame.iloc[[0]].assign(metric="f1")
    with pytest.raises(DataError, match="expected one task score per cell"):
        validate_results_frame(pd.concat([frame, duplicate], ignore_index=True))


def test_columns_are_documented_constants():
    frame = synthetic_results_frame(seeds=(0,))
    assert list(frame.columns[: len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS)


def test_curves_frame_validation_names_missing_column():
    curves = synthetic_curves_frame(synthetic_results_frame(seeds=(0,)))
    assert np.isfinite(validate_curves_frame(curves)["train_loss"]).all()
    with pytest.raises(DataError, match="curves frame: missing column 'dev_score'"):
        validate_curves_frame(curves.drop(columns="dev_score"))
