"""keep_trained_models: false — a finished trial's trained phases are deleted once no unfinished
trial lists them; scores, predictions and resumability stay."""

from __future__ import annotations

import io
import sqlite3
from types import SimpleNamespace

import pytest
from rich.console import Console

from xstilts.cli.sweep import _discarder
from xstilts.errors import ConfigError
from xstilts.store.sqlite import ResultStore
from xstilts.sweep.local import LocalRunner
from xstilts.sweep.adapter import Pipeline
from xstilts.sweep.plan import DefaultRate, plan_sweep
from xstilts.sweep.progress import ProgressBoard
from xstilts.sweep.driver import SweepDriver
from xstilts.sweep.spec import load_sweep
from xstilts.sweep.trials import Trial, expand_sweep

from sweep_helpers import FAKE, SMALL_GRID, attempts, write_sweep

SHARED_GRID = {"intermediate.task": ["sst2"], "targets.xnli.train.learning_rate": [1e-5, 2e-5, 3e-5]}


def run_sweep(path, workers=1):
    sweep = load_sweep(path)
    pipeline = Pipeline(FAKE)
    trials = expand_sweep(sweep, pipeline)
    board = ProgressBoard(trials, console=Console(file=io.StringIO()))
    with ResultStore(path.parent / "results.sqlite") as store:
        runner = LocalRunner(FAKE, sweep.base, path.parent / "trials", workers)
        outcome = SweepDriver(store, plan_sweep(trials, DefaultRate()), runner, board, _discarder(sweep, pipeline)).run()
    return outcome, trials


def phase_folders(work):
    return {folder.name.split("-")[0] for folder in (work / "phases").iterdir()}


def discarded(work):
    return (work / "discarded.log").read_text().split()


def computed_per_phase(path):
    return dict(sqlite3.connect(path.parent / "results.sqlite").execute(
        "SELECT phase_key, SUM(computed) FROM trial_phases GROUP BY phase_key").fetchall())


def test_a_shared_phase_is_deleted_only_after_the_last_trial_using_it(tmp_path):
    path = write_sweep(tmp_path, SHARED_GRID, overrides={"fake.step_s": 0.02}, keep_trained_models=False)
    outcome, trials = run_sweep(path, workers=2)
    assert outcome.counts == {"done": 3}
    computed = computed_per_phase(path)
    assert computed and all(n == 1 for n in computed.values())  # nothing was deleted too early
    intermediate = trials[0].phases[0].key
    assert intermediate.startswith("intermediate-") and discarded(tmp_path / "work").count(intermediate) == 1
    trained = {p.key for t in trials for p in t.phases if p.phase != "zero_shot"}
    assert set(discarded(tmp_path / "work")) == trained and len(trained) == 1 + 3 + 1
    assert phase_folders(tmp_path / "work") == {"zero_shot"}  # predictions stay


def test_a_rerun_deletes_what_earlier_runs_kept_and_trains_nothing(tmp_path):
    path = write_sweep(tmp_path, SMALL_GRID)
    run_sweep(path)
    assert phase_folders(tmp_path / "work") == {"intermediate", "target", "zero_shot"}
    calls = attempts(tmp_path / "work")
    path = write_sweep(tmp_path, SMALL_GRID, keep_trained_models=False)
    outcome, _ = run_sweep(path)
    assert outcome.counts == {"skipped": 3}
    assert attempts(tmp_path / "work") == calls
    assert phase_folders(tmp_path / "work") == {"zero_shot"}


def test_a_sweep_with_failures_still_deletes_the_finished_trials_phases(tmp_path):
    grid = {**SMALL_GRID, "intermediate.task": ["none", "sst2", "anli"]}
    path = write_sweep(tmp_path, grid, overrides={"fake.fail_task": "anli"}, keep_trained_models=False)
    outcome, trials = run_sweep(path)
    assert outcome.counts == {"done": 3, "failed": 2}
    # The baseline's targets are shared with nobody; the failed anli trials computed nothing yet.
    assert len(discarded(tmp_path / "work")) == 2 + 2 * 3  # baseline: 2 targets; sst2: 1 + 2 each


def test_phases_a_pending_running_or_failed_trial_lists_are_kept():
    def trial(name, *keys):
        return Trial(trial_id=name, overrides=(), params={}, phases=tuple(SimpleNamespace(key=k) for k in keys))

    deleted = []
    driver = SweepDriver(store=None, plan=None, runner=None, board=None, discard=lambda t, p: deleted.append(p.key))
    driver.pending, driver.failed = [trial("p", "a")], [trial("f", "b")]
    driver.running = {"r": trial("r", "c")}
    driver._discard_finished(trial("done", "a", "b", "c", "d", "e"))
    driver._discard_finished(trial("done-too", "e", "f"))
    assert deleted == ["d", "e", "f"]  # and "e" once


def test_a_pipeline_without_discard_phase_is_a_config_error(tmp_path, monkeypatch):
    import sweep_fake_pipeline

    path = write_sweep(tmp_path, SMALL_GRID, keep_trained_models=False)
    monkeypatch.delattr(sweep_fake_pipeline, "discard_phase")
    with pytest.raises(ConfigError, match="keep_trained_models"):
        _discarder(load_sweep(path), Pipeline(FAKE))


def test_the_real_pipeline_deletes_trained_folders_only(tmp_path):
    from xstilts.pipeline.graph import PhaseNode, discard

    for phase in ("target", "zero_shot"):
        (tmp_path / phase / f"{phase}-k" / "ckpt").mkdir(parents=True)
        (tmp_path / phase / f"{phase}-k" / "DONE.json").write_text("{}")
    (tmp_path / "target" / ".discarded-old-1").mkdir()  # left by a kill mid-delete

    def node(phase, key):
        return PhaseNode(phase, "pawsx", key, done=True)

    discard(node("target", "target-k"), tmp_path)
    discard(node("zero_shot", "zero_shot-k"), tmp_path)
    discard(node("retrieval", "retrieval-x"), tmp_path)
    assert list((tmp_path / "target").iterdir()) == []
    assert (tmp_path / "zero_shot" / "zero_shot-k" / "DONE.json").is_file()
