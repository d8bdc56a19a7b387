"""The fixed-steps arm: carried per trial, never pooled into the batch-size effect."""

import numpy as np
import pandas as pd
import pytest

from synthetic_frames import SyntheticTruth, synthetic_results_frame
from xstilts.analysis.frame import FIXED_EPOCHS, FIXED_STEPS, trial_table
from xstilts.analysis.study import analyse_study


def two_arm_frame(epochs_slope: float, steps_slope: float) -> pd.DataFrame:
    """The same grid twice: an epochs arm whose gain rises with batch size, a steps arm whose
    gain falls with it (trial ids kept apart, baselines shared)."""
    kwargs = dict(seeds=(0, 1, 2, 3, 4), learning_rates=(1e-5, 3e-5), batch_sizes=(8, 16, 32))
    epochs = synthetic_results_frame(SyntheticTruth(task_effects={"mnli": 1.0}, gain_per_log2_batch=epochs_slope,
                                                    gain_noise_sd=0.2), rng_seed=1, **kwargs)
    steps = synthetic_results_frame(SyntheticTruth(task_effects={"mnli": 1.0}, gain_per_log2_batch=steps_slope,
                                                   gain_noise_sd=0.2), rng_seed=1, **kwargs)
    steps = steps[steps["intermediate_task"] != "none"].assign(trial_id=lambda f: "steps-" + f["trial_id"],
                                                                 max_steps=100)
    return pd.concat([epochs.assign(max_steps=np.nan), steps], ignore_index=True)


def test_each_trial_carries_its_arm():
    trials = trial_table(two_arm_frame(1.0, -1.0))
    arms = trials.set_index("trial_id")["arm"]
    assert set(arms[arms.index.str.startswith("steps-")]) == {FIXED_STEPS}
    assert set(arms[arms.index.str.startswith("t")]) == {FIXED_EPOCHS}
    assert set(arms[arms.index.str.startswith("baseline")]) == {"none"}


def test_batch_size_effect_is_estimated_in_each_arm_separately():
    analysis = analyse_study(two_arm_frame(1.0, -1.0), n_resamples=50)
    slopes = analysis.slopes[analysis.slopes["term"] == "log2_batch_size"].set_index("arm")
    # Pooled, the two arms would cancel to about 0; apart, each recovers its own slope.
    assert slopes.loc[FIXED_EPOCHS, "mean"] == pytest.approx(1.0, abs=0.15)
    assert slopes.loc[FIXED_STEPS, "mean"] == pytest.approx(-1.0, abs=0.15)
    assert (slopes["n_seeds"] == 5).all() and slopes["survives"].all()
    assert set(analysis.regressions) == {FIXED_EPOCHS, FIXED_STEPS}
    assert set(analysis.grid["arm"]) == {FIXED_EPOCHS, FIXED_STEPS}


def test_a_fixed_steps_arm_at_two_batch_sizes_and_one_learning_rate_gets_its_slope():
    # The full study's arm: each seed has one trial at batch 8 and one at 32, so its slope is
    # exactly identified; the interval comes from the spread over seeds.
    kwargs = dict(seeds=(0, 1, 2, 3, 4), learning_rates=(1e-5, 3e-5), batch_sizes=(8, 16, 32))
    epochs = synthetic_results_frame(SyntheticTruth(task_effects={"mnli": 1.0}, gain_per_log2_batch=0.0,
                                                    gain_noise_sd=0.2), rng_seed=1, **kwargs)
    steps = synthetic_results_frame(SyntheticTruth(task_effects={"mnli": 1.0}, gain_per_log2_batch=-1.0,
                                                   gain_noise_sd=0.2), rng_seed=2, seeds=(0, 1, 2, 3, 4),
                                    learning_rates=(1e-5,), batch_sizes=(8, 32))
    steps = steps[steps["intermediate_task"] != "none"].assign(trial_id=lambda f: "steps-" + f["trial_id"],
                                                                 max_steps=63)
    analysis = analyse_study(pd.concat([epochs.assign(max_steps=np.nan), steps], ignore_index=True), n_resamples=50)
    slopes = analysis.slopes.set_index(["arm", "term"])
    assert (FIXED_STEPS, "log10_learning_rate") not in slopes.index  # one learning rate: nothing to fit
    steps_slope = slopes.loc[(FIXED_STEPS, "log2_batch_size")]
    assert steps_slope["mean"] == pytest.approx(-1.0, abs=0.3)
    assert steps_slope["n_seeds"] == 5 and steps_slope["n_seeds_not_estimable"] == 0
    assert steps_slope["ci_high"] < 0 and steps_slope["family_size"] == 3
