"""SIGKILL the sweep driver mid-phase, rerun: every trial in the store exactly once, nothing retrained."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

import psutil

from xstilts.store.sqlite import ResultStore
from xstilts.sweep.adapter import Pipeline
from xstilts.sweep.plan import optimizer_steps
from xstilts.sweep.spec import load_sweep
from xstilts.sweep.trials import expand_sweep

from sweep_helpers import FAKE, attempts, steps_logged, write_sweep

GRID = {
    "intermediate.task": ["none", "sst2", "anli"],
    "intermediate.train.batch_size": [2, 4],
    "intermediate.train.learning_rate": [1e-5],
    "seed": [0],
}
N_TRIALS = 1 + 2 * 2
N_LANGUAGES = 3 + 2  # xnli en/de/sw, pawsx en/ja


def sweep_command(path, store) -> list[str]:
    return [sys.executable, "-c", "import sys; from xstilts.cli import main; sys.exit(main())",
            "sweep", "run", str(path), "--workers", "2", "--pipeline", FAKE, "--store", str(store), "--no-calibrate"]


def planned_steps(path) -> dict[str, int]:
    trials = expand_sweep(load_sweep(path), Pipeline(FAKE))
    return {p.key: optimizer_steps(p) for t in trials for p in t.phases}


def phase_in_progress(work_dir, totals: dict[str, int]) -> str | None:
    """A phase that has trained some of its steps, but not all."""
    for key, steps in steps_logged(work_dir).items():
        if 0 < len(steps) < totals[key] - 1:
            return key
    return None


def wait_for(condition, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def read_statuses(store) -> dict[str, str]:
    """Trial statuses, read without taking the driver's write lock ({} before the table exists)."""
    try:
        with closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as db:
            return dict(db.execute("SELECT trial_id, status FROM trials").fetchall())
    except sqlite3.OperationalError:
        return {}


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_sigkill_mid_sweep_then_rerun_records_every_trial_exactly_once(tmp_path):
    path = write_sweep(tmp_path, GRID, overrides={"fake.step_s": 0.15})
    store, work = tmp_path / "results.sqlite", tmp_path / "work"
    totals = planned_steps(path)
    driver = subprocess.Popen(sweep_command(path, store), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Let at least one trial finish so the kill lands in the middle of the sweep.
        wait_for(lambda: "done" in read_statuses(store).values(), 120, "a finished trial")
        interrupted = wait_for(lambda: phase_in_progress(work, totals), 60, "a phase in progress")
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait(timeout=10)
        steps_at_kill = steps_logged(work)[interrupted]
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
    worker_pids = [pid for _, pid in attempts(work)]
    # Orphaned workers notice their driver is gone and exit: nothing keeps training unrecorded.
    wait_for(lambda: not any(alive(pid) for pid in worker_pids), 10, "orphaned workers to exit")
    statuses = read_statuses(store)
    assert "running" in statuses.values() and len(statuses) < N_TRIALS + 1
    assert len(steps_logged(work)[interrupted]) < totals[interrupted]

    rerun = subprocess.run(sweep_command(path, store), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    with ResultStore(store) as db:
        statuses = db.trial_statuses()
        frame = db.results_frame()
    assert len(statuses) == N_TRIALS and set(statuses.values()) == {"done"}
    assert len(frame) == N_TRIALS * N_LANGUAGES
    assert not frame.duplicated(["trial_id", "target_task", "language", "selection"]).any()
    for key, steps in steps_logged(work).items():
        assert steps == list(range(len(steps))), key  # no step trained twice
        assert (work / "phases" / key / "DONE.json").exists()
    # The interrupted phase went on from where it stopped.
    assert steps_logged(work)[interrupted][: len(steps_at_kill)] == steps_at_kill
    assert len(steps_logged(work)[interrupted]) == totals[interrupted]
