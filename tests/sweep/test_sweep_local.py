"""The local runner: one process per trial, N at a time; reruns skip, failures are recorded."""

from __future__ import annotations

import io
import json
import sqlite3

import sweep_fake_pipeline as fake
from rich.console import Console

from xstilts.store.sqlite import ResultStore
from xstilts.sweep.local import LocalRunner, TrialFiles
from xstilts.sweep.adapter import Pipeline
from xstilts.sweep.plan import DefaultRate, plan_sweep
from xstilts.sweep.progress import ProgressBoard
from xstilts.sweep.driver import SweepDriver
from xstilts.sweep.spec import load_sweep
from xstilts.sweep.trials import expand_sweep
from xstilts.sweep.worker import result_to_json

from sweep_helpers import FAKE, SMALL_GRID, steps_logged, write_sweep

SHARED_GRID = {"intermediate.task": ["sst2"], "targets.xnli.train.learning_rate": [1e-5, 2e-5, 3e-5]}


def run_sweep(path, workers=1):
    """Plan and run the sweep in this process (workers are subprocesses); returns what happened."""
    sweep = load_sweep(path)
    trials = expand_sweep(sweep, Pipeline(FAKE))
    store_path = path.parent / "results.sqlite"
    board = ProgressBoard(trials, console=Console(file=io.StringIO()))
    with ResultStore(store_path) as store:
        runner = LocalRunner(FAKE, sweep.base, path.parent / "trials", workers)
        outcome = SweepDriver(store, plan_sweep(trials, DefaultRate()), runner, board).run()
        frame = store.results_frame()
    return outcome, trials, frame, board


def test_every_trial_is_recorded_with_the_pipelines_scores(tmp_path):
    path = write_sweep(tmp_path, SMALL_GRID)
    outcome, trials, frame, _ = run_sweep(path)
    assert outcome.counts == {"done": 3} and outcome.ok
    assert set(frame.trial_id) == {t.trial_id for t in trials}
    assert len(frame) == 3 * (3 + 2)  # xnli en/de/sw + pawsx en/ja per trial
    steps_before = steps_logged(tmp_path / "work")
    for trial in trials:
        direct = fake.run_trial(trial.config, trial_id=trial.trial_id)  # every phase reused now
        stored = frame[frame.trial_id == trial.trial_id].set_index(["target_task", "language"]).score
        assert {(s.target_task, s.language): s.value for s in direct.scores} == stored.to_dict()
    assert steps_logged(tmp_path / "work") == steps_before


def test_rerunning_a_finished_sweep_runs_nothing(tmp_path):
    path = write_sweep(tmp_path, SMALL_GRID)
    run_sweep(path)
    steps_before = steps_logged(tmp_path / "work")
    outcome, _, frame, _ = run_sweep(path)
    assert outcome.counts == {"skipped": 3}
    assert steps_logged(tmp_path / "work") == steps_before
    assert len(frame) == 15


def test_parallel_workers_never_compute_a_shared_phase_twice(tmp_path):
    path = write_sweep(tmp_path, SHARED_GRID, overrides={"fake.step_s": 0.05})
    outcome, trials, frame, _ = run_sweep(path, workers=3)
    assert outcome.counts == {"done": 3}
    for key, steps in steps_logged(tmp_path / "work").items():
        assert steps == list(range(len(steps))), key  # each step trained once, in order
    computed = sqlite3.connect(tmp_path / "results.sqlite").execute(
        "SELECT phase_key, SUM(computed) FROM trial_phases GROUP BY phase_key").fetchall()
    assert all(n == 1 for _, n in computed)
    assert len(computed) == 1 + 3 * 2 + 2  # intermediate, 3 xnli (target, zero-shot), pawsx shared


def test_failed_trials_are_recorded_with_the_error_and_retried_on_rerun(tmp_path):
    path = write_sweep(tmp_path, SMALL_GRID, overrides={"fake.fail_task": "sst2"})
    outcome, trials, frame, _ = run_sweep(path)
    assert outcome.counts == {"done": 1, "failed": 2} and not outcome.ok
    failed = frame[frame.status == "failed"]
    assert failed.score.isna().all() and set(failed.intermediate_task) == {"sst2"}
    errors = sqlite3.connect(tmp_path / "results.sqlite").execute(
        "SELECT error, attempts FROM trials WHERE status = 'failed'").fetchall()
    assert errors == [("RuntimeError: fake failure in sst2", 1)] * 2
    outcome, *_ = run_sweep(path)
    assert outcome.counts == {"skipped": 1, "failed": 2}
    attempts = sqlite3.connect(tmp_path / "results.sqlite").execute(
        "SELECT attempts FROM trials WHERE status = 'failed'").fetchall()
    assert attempts == [(2,), (2,)]


def test_a_worker_that_dies_without_a_result_fails_its_trial_only(tmp_path):
    path = write_sweep(tmp_path, SMALL_GRID, overrides={"fake.crash_task": "sst2"})
    outcome, _, frame, _ = run_sweep(path, workers=2)
    assert outcome.counts == {"done": 1, "failed": 2}
    error = sqlite3.connect(tmp_path / "results.sqlite").execute(
        "SELECT error FROM trials WHERE status = 'failed'").fetchone()[0]
    assert error.startswith("worker exited with code 3")


def test_diverged_trials_are_final(tmp_path):
    grid = {**SMALL_GRID, "intermediate.train.learning_rate": [1e-5, 1e-3]}
    path = write_sweep(tmp_path, grid, overrides={"fake.diverge_above_lr": 1e-4})
    outcome, _, frame, _ = run_sweep(path)
    assert outcome.counts == {"done": 3, "diverged": 2}
    diverged = frame[frame.status == "diverged"]
    assert set(diverged.learning_rate) == {1e-3} and diverged.score.isna().all()
    assert run_sweep(path)[0].counts == {"skipped": 5}


def test_the_store_keeps_the_estimate_beside_the_actual_time(tmp_path):
    path = write_sweep(tmp_path, SMALL_GRID, overrides={"fake.step_s": 0.01})
    run_sweep(path)
    with ResultStore(tmp_path / "results.sqlite") as store:
        phases = store.phases_frame()
    trained = phases[phases.phase.isin(["intermediate", "target"])]
    assert trained.estimate_s.notna().all() and (trained.estimate_s > 0).all()
    assert trained.seconds.notna().all() and trained.estimate_error.notna().all()


def test_a_result_left_by_a_killed_driver_is_recorded_without_rerunning(tmp_path):
    path = write_sweep(tmp_path, SMALL_GRID)
    trials = expand_sweep(load_sweep(path), Pipeline(FAKE))
    orphan = trials[1]
    result = fake.run_trial(orphan.config, trial_id=orphan.trial_id)
    files = TrialFiles(tmp_path / "trials", orphan.trial_id)
    files.folder.mkdir(parents=True)
    files.result.write_text(result_to_json(result))
    with ResultStore(tmp_path / "results.sqlite") as store:
        store.mark_running(orphan.trial_id, orphan.params)  # the killed driver got this far
    steps_before = steps_logged(tmp_path / "work")
    outcome, _, frame, _ = run_sweep(path)
    assert outcome.counts == {"done": 3}
    orphan_steps = {k: v for k, v in steps_logged(tmp_path / "work").items() if k in steps_before}
    assert orphan_steps == steps_before  # its phases were not trained again
    assert json.loads(files.result.read_text())["trial_id"] == orphan.trial_id


def test_progress_events_reach_the_table(tmp_path):
    path = write_sweep(tmp_path, SMALL_GRID)
    _, trials, _, board = run_sweep(path)
    last = board.rows[trials[0].trial_id]
    # The fake trains pawsx then xnli; xnli (6 examples, batch 4) is its last training phase.
    assert (last.phase, last.step, last.total_steps, last.status) == ("target xnli", 2, 2, "done")
    rendered = io.StringIO()
    Console(file=rendered, width=200).print(board.table())
    assert all(t.trial_id in rendered.getvalue() for t in trials)


def test_a_worker_whose_driver_is_already_gone_exits_without_running(tmp_path):
    """A worker that starts after its driver died (its parent id is already the reaper's) must
    not train an orphan trial that nobody records."""
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    request = tmp_path / "request.json"
    request.write_text('{"not": "read"}', encoding="utf-8")  # never read: the worker exits first
    done = subprocess.run([sys.executable, "-m", "xstilts.sweep.worker", str(request), str(gone.pid)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
