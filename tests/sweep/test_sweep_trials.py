"""Expanding a sweep into trials: one baseline per seed, ids from the resolved config, dedupe."""

from __future__ import annotations

from xstilts.sweep.adapter import Pipeline
from xstilts.sweep.spec import load_sweep
from xstilts.sweep.trials import expand_sweep, format_override

from sweep_helpers import FAKE, write_sweep

STUDY_GRID = {
    "intermediate.task": ["none", "sst2", "anli"],
    "intermediate.train.batch_size": [2, 4],
    "intermediate.train.learning_rate": [1e-5, 3e-5],
    "seed": [0, 1, 2],
}


def trials_of(path):
    return expand_sweep(load_sweep(path), Pipeline(FAKE))


def test_baseline_is_one_trial_per_seed_not_one_per_batch_and_lr(tmp_path):
    trials = trials_of(write_sweep(tmp_path, STUDY_GRID))
    baselines = [t for t in trials if t.params["intermediate_task"] == "none"]
    assert len(baselines) == 3
    assert sorted(t.params["seed"] for t in baselines) == [0, 1, 2]
    assert all(t.params["batch_size"] is None and t.params["learning_rate"] is None for t in baselines)
    assert len(trials) == 3 + 2 * 2 * 2 * 3
    assert len({t.trial_id for t in trials}) == len(trials)


def test_params_come_from_the_resolved_config(tmp_path):
    trials = trials_of(write_sweep(tmp_path, STUDY_GRID))
    trial = next(t for t in trials if t.params["intermediate_task"] == "anli" and t.params["batch_size"] == 4
                 and t.params["learning_rate"] == 3e-5 and t.params["seed"] == 2)
    assert trial.config.intermediate.train.batch_size == 4
    assert trial.params["grid"] == {"intermediate.task": "anli", "intermediate.train.batch_size": 4,
                                    "intermediate.train.learning_rate": 3e-5, "seed": 2}
    assert trial.params["target_settings"] == "default"
    assert [p.phase for p in trial.phases] == ["intermediate", "target", "zero_shot", "target", "zero_shot"]


def test_trial_ids_are_stable_and_follow_the_config(tmp_path):
    first = trials_of(write_sweep(tmp_path, STUDY_GRID))
    again = trials_of(tmp_path / "sweep.yaml")
    assert [t.trial_id for t in first] == [t.trial_id for t in again]
    moved = trials_of(write_sweep(tmp_path / "other", STUDY_GRID,
                                  overrides={"intermediate.train.epochs": 2}))
    assert not {t.trial_id for t in moved if t.params["intermediate_task"] != "none"} & {t.trial_id for t in first}


def test_trials_with_the_same_phases_are_kept_once(tmp_path):
    # fake.step_s changes the config (so the trial id) but no phase's content address.
    grid = {"intermediate.task": ["sst2"], "fake.step_s": [0.0, 0.001]}
    trials = trials_of(write_sweep(tmp_path, grid))
    assert len(trials) == 1 and trials[0].params["grid"]["fake.step_s"] == 0.0


def test_swept_target_settings_are_keyed_and_keep_their_baselines(tmp_path):
    grid = {"intermediate.task": ["none", "sst2"], "targets.xnli.train.learning_rate": [1e-5, 2e-5]}
    trials = trials_of(write_sweep(tmp_path, grid))
    assert len(trials) == 4  # the target setting matters to the baseline too
    keys = {(t.params["intermediate_task"], t.params["target_settings"]) for t in trials}
    assert ("none", "targets.xnli.train.learning_rate=1e-05") in keys
    assert ("sst2", "targets.xnli.train.learning_rate=2e-05") in keys


def test_overrides_render_as_the_config_loader_parses_them():
    assert format_override("intermediate.task", "none") == "intermediate.task=none"
    assert format_override("a.b", 3e-5) == "a.b=3e-05"
    assert format_override("a.flag", True) == "a.flag=true"
    assert format_override("a.unset", None) == "a.unset=null"
