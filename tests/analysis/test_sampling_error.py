"""Each target's sampling error against its seed SD: known-truth frames and the report's words."""

import math

import numpy as np
import pandas as pd
import pytest

from synthetic_frames import SAMPLING_SE, synthetic_results_frame
from xstilts.analysis.frame import validate_results_frame
from xstilts.analysis.sampling_error import sampling_against_seeds
from xstilts.report.narrative import sampling_text


def test_sampling_error_and_seed_sd_follow_the_synthetic_truth():
    # Synthetic baselines: score = cell level + a seed shift with SD 2.0 per (seed, cell), and every
    # score carries SAMPLING_SE; three languages per target.
    frame = validate_results_frame(synthetic_results_frame(seeds=tuple(range(40)), batch_sizes=(8,),
                                                           learning_rates=(1e-5,)))
    table = sampling_against_seeds(frame, "english_dev").set_index("target_task")
    assert set(table.index) == {"xnli", "pawsx"}
    for task in table.index:
        row = table.loc[task]
        assert (row["n_languages"], row["n_seeds"], row["examples_per_language"]) == (3, 40, 100)
        assert row["language_sampling_se"] == pytest.approx(SAMPLING_SE)
        assert row["task_sampling_se"] == pytest.approx(SAMPLING_SE / math.sqrt(3))  # independent languages
        assert row["language_seed_sd"] == pytest.approx(2.0, rel=0.3)
        assert row["task_seed_sd"] == pytest.approx(2.0 / math.sqrt(3), rel=0.3)


def test_scores_without_a_sampling_error_give_an_empty_table():
    frame = validate_results_frame(synthetic_results_frame().assign(sampling_se=np.nan))
    assert sampling_against_seeds(frame, "english_dev").empty


def test_the_text_says_which_targets_have_large_enough_evaluation_sets():
    table = pd.DataFrame({"target_task": ["xnli", "xquad", "tatoeba"], "task_sampling_se": [0.9, 3.1, 1.2],
                          "task_seed_sd": [4.0, 2.5, 0.0], "language_sampling_se": [5.0, 6.0, 3.0],
                          "language_seed_sd": [4.0, 7.0, 0.0]})
    text = sampling_text(table)
    assert text.startswith("The target score's sampling SE is below its seed SD for xnli (0.90 vs 4.00)")
    assert "not below its seed SD for xquad (3.10 vs 2.50)" in text
    assert "per language it is not, for xnli (5.00 vs 4.00): read single languages' gains" in text
    assert "tatoeba trains nothing (seed SD 0)" in text
    one_seed = table.assign(task_seed_sd=np.nan)
    assert sampling_text(one_seed) == "With one seed there is no seed SD to compare with."
