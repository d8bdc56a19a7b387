"""The cost planner: compute / shared / exists, step-based estimates, cached calibrations."""

from __future__ import annotations

import json
import math

import pytest
import sweep_fake_pipeline as fake

from xstilts.cli import main
from xstilts.store.sqlite import ResultStore
from xstilts.sweep.adapter import Pipeline
from xstilts.sweep.plan import CalibratedRate, DefaultRate, optimizer_steps, plan_sweep
from xstilts.sweep.spec import load_sweep
from xstilts.sweep.trials import expand_sweep

from sweep_helpers import FAKE, SMALL_GRID, write_sweep

SHARED_GRID = {"intermediate.task": ["sst2"], "targets.xnli.train.learning_rate": [1e-5, 2e-5]}


def trials_of(path):
    return expand_sweep(load_sweep(path), Pipeline(FAKE))


def test_phases_shared_within_the_sweep_are_computed_once(tmp_path):
    plan = plan_sweep(trials_of(write_sweep(tmp_path, SHARED_GRID)), DefaultRate())
    first, second = plan.trials
    states = {(p.trial_id, p.phase, p.task): p.state for p in plan.phases}
    assert all(states[(first.trial_id, ph, t)] == "compute" for ph, t in
               [("intermediate", "sst2"), ("target", "xnli"), ("target", "pawsx")])
    # The second trial only changes xnli's target settings: it reuses the rest.
    assert states[(second.trial_id, "intermediate", "sst2")] == "shared"
    assert states[(second.trial_id, "target", "pawsx")] == "shared"
    assert states[(second.trial_id, "target", "xnli")] == "compute"
    summary = plan.summary()
    assert (summary["unique_phases"], summary["phases_to_compute"], summary["phases_shared"]) == (7, 7, 3)


def test_phases_already_in_the_work_dir_exist_and_cost_nothing(tmp_path):
    trials = trials_of(write_sweep(tmp_path, SMALL_GRID))
    baseline = next(t for t in trials if t.params["intermediate_task"] == "none")
    fake.run_trial(baseline.config, trial_id=baseline.trial_id)
    plan = plan_sweep(trials_of(tmp_path / "sweep.yaml"), DefaultRate())
    mine = [p for p in plan.phases if p.trial_id == baseline.trial_id]
    assert {p.state for p in mine} == {"exists"}
    assert plan.trial_estimate_s(baseline.trial_id) == 0.0
    assert plan.summary()["phases_existing"] == len(mine)


def test_estimate_is_steps_times_seconds_per_step(tmp_path):
    rate = DefaultRate(padded_tokens_per_s=1000.0)
    plan = plan_sweep(trials_of(write_sweep(tmp_path, SMALL_GRID)), rate)
    inter = next(p for p in plan.phases if p.phase == "intermediate" and p.trial_id == plan.trials[1].trial_id)
    batch = plan.trials[1].params["batch_size"]
    assert inter.steps == math.ceil(fake.TASK_EXAMPLES["sst2"] / batch)
    assert inter.estimate_s == pytest.approx(inter.steps * batch * 16 / 1000.0)
    zero_shot = [p for p in plan.phases if p.phase == "zero_shot"]
    assert all(p.steps == 0 and p.estimate_s == 0.0 for p in zero_shot)  # evaluation is not estimated
    total = sum(plan.trial_estimate_s(t.trial_id) for t in plan.trials)
    assert plan.summary()["device_hours"] == pytest.approx(total / 3600)
    assert "not calibrated" in plan.summary()["rate"]


def test_optimizer_steps_round_up_and_skip_untrained_phases():
    assert optimizer_steps(fake.PhasePlan("k", "target", "xnli", False, 10, 4, 16, "m")) == 3
    assert optimizer_steps(fake.PhasePlan("k", "zero_shot", "xnli", False, 0, 0, 16, "m")) == 0


def test_calibration_times_each_geometry_once_and_caches_it_in_the_store(tmp_path):
    path = write_sweep(tmp_path, SMALL_GRID, overrides={"fake.step_s": 0.02})
    log = tmp_path / "work" / "calibrations.log"
    with ResultStore(tmp_path / "store.sqlite") as store:
        rate = CalibratedRate(Pipeline(FAKE), store, steps=2)
        plan = plan_sweep(trials_of(path), rate)
        geometries = log.read_text().splitlines()
        # Four geometries: every trial's xnli and pawsx targets (bs 4), and sst2 at bs 2 and 4.
        assert sorted(geometries) == sorted(["target xnli 4", "target pawsx 4", "intermediate sst2 2",
                                             "intermediate sst2 4"])
        inter = next(p for p in plan.phases if p.phase == "intermediate")
        assert inter.seconds_per_step == pytest.approx(0.02, abs=0.015)  # really timed sleeps
        again = plan_sweep(trials_of(path), CalibratedRate(Pipeline(FAKE), store, steps=2))
        assert log.read_text().splitlines() == geometries  # all four came from the cache
        assert [p.estimate_s for p in again.phases] == [p.estimate_s for p in plan.phases]
        plan_sweep(trials_of(path), CalibratedRate(Pipeline(FAKE), store, steps=2, refresh=True))
        assert len(log.read_text().splitlines()) == 8


def test_plan_json_lists_trials_and_phases(tmp_path):
    plan = plan_sweep(trials_of(write_sweep(tmp_path, SMALL_GRID)), DefaultRate())
    data = json.loads(json.dumps(plan.to_json()))
    assert data["summary"]["trials"] == 3
    assert [len(t["phases"]) for t in data["trials"]] == [4, 5, 5]
    assert {p["state"] for t in data["trials"] for p in t["phases"]} == {"compute"}


def test_training_phases_without_examples_are_flagged(tmp_path, capsys):
    path = write_sweep(tmp_path, SMALL_GRID, overrides={"targets.pawsx.train.epochs": 0})
    plan = plan_sweep(trials_of(path), DefaultRate())
    assert plan.summary()["training_phases_without_examples"] == ["target pawsx"]
    assert main(["sweep", "plan", str(path), "--no-calibrate", "--pipeline", FAKE]) == 0
    assert "warning: no training examples found for target pawsx" in capsys.readouterr().out


def test_finished_trials_are_stored_and_cost_nothing_even_when_their_phases_are_gone(tmp_path):
    grid = {**SHARED_GRID, "targets.xnli.train.learning_rate": [1e-5, 2e-5, 3e-5]}
    trials = trials_of(write_sweep(tmp_path, grid))  # 3 trials sharing one intermediate phase
    sst2 = trials[0]
    plan = plan_sweep(trials, DefaultRate(), finished=frozenset({sst2.trial_id}))
    mine = [p for p in plan.phases if p.trial_id == sst2.trial_id]
    assert mine and {p.state for p in mine} == {"stored"}
    assert plan.trial_estimate_s(sst2.trial_id) == 0.0
    assert plan.summary()["phases_stored"] == len({p.key for p in mine})
    # A trial listing a stored trial's phase computes it: that phase's folder may have been deleted.
    others = [p for p in plan.phases if p.trial_id != sst2.trial_id and p.key in {m.key for m in mine}]
    assert {p.phase for p in others} == {"intermediate", "target", "zero_shot"}  # sst2 and pawsx
    assert {p.state for p in others if p.trial_id == trials[1].trial_id} == {"compute"}
    assert {p.state for p in others if p.trial_id == trials[2].trial_id} == {"shared"}
