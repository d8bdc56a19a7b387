"""Crash-injection harness: run a tiny-encoder sweep, SIGKILL it at chosen points, rerun.

A kill point is either triggered from outside (the harness kills the driver's whole process
group after some seconds, or after some training steps have been reported) or from inside
through the hooks of ``crash_pipeline`` (mid checkpoint write, right after a phase's DONE.json,
inside the store's transaction). After every kill the sweep is simply run again, as a user
would; ``run_with_kills`` returns what happened at each point.

Full run (>= 20 kill points, several minutes):
    XSTILTS_CRASH_POINTS=20 python -m pytest tests/reliability/test_crash_injection.py
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import yaml

from crash_pipeline import CRASH_ENV
from reliability_helpers import DIVERGING_LR, run_config_dict

HERE = Path(__file__).resolve().parent
CRASH_POINTS_ENV = "XSTILTS_CRASH_POINTS"
CI_CRASH_POINTS = 4
# Most telling first, so the CI's four points cover one of each inside kind plus a step kill.
KINDS = ("checkpoint_write", "after_steps", "phase_done", "store_write", "after_seconds")
INSIDE_KINDS = frozenset({"checkpoint_write", "phase_done", "store_write"})
# The sweep grows with the kill points asked for (two trials per seed), so the last kills still
# find work to interrupt: one seed for CI's four points, seven for twenty.
POINTS_PER_SEED = 3
RUN_TIMEOUT_S = 600
ORPHAN_GRACE_S = 10.0


def crash_points_requested() -> int:
    return int(os.environ.get(CRASH_POINTS_ENV, CI_CRASH_POINTS))


@dataclass(frozen=True)
class SweepFolder:
    """A self-contained sweep: base config, sweep file, store, work dir and cache in one folder."""

    folder: Path

    @property
    def sweep(self) -> Path:
        return self.folder / "sweep.yaml"

    @property
    def store(self) -> Path:
        return self.folder / "results.sqlite"

    @property
    def work(self) -> Path:
        return self.folder / "work"

    @property
    def scratch(self) -> Path:  # the local runner's per-trial request/progress/result files
        return self.folder / "results.sqlite.trials"


def write_crash_sweep(folder: Path, data_dir: Path, encoder: Path, seeds: int) -> SweepFolder:
    """Per seed: one trial whose intermediate phase diverges and one that runs every phase.

    Checkpoints every 2 steps, so kills land between, during and after checkpoint writes.
    """
    folder.mkdir(parents=True, exist_ok=True)
    base = run_config_dict(data_dir, encoder)
    for section in (base["intermediate"], base["targets"]["pawsx"]):
        section["train"].update(checkpoint_every=2, warmup_ratio=0.0)
    (folder / "base.yaml").write_text(yaml.safe_dump(base), encoding="utf-8")
    sweep = {"base": "base.yaml",
             "grid": {"intermediate.train.learning_rate": [DIVERGING_LR, 1.0e-3], "seed": list(range(seeds))}}
    (folder / "sweep.yaml").write_text(yaml.safe_dump(sweep), encoding="utf-8")
    return SweepFolder(folder)


def seeds_for(points: int) -> int:
    return max(1, math.ceil((points - 1) / POINTS_PER_SEED))


# --- running the sweep ------------------------------------------------------------------------


def _environment(sweep: SweepFolder, crash: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop(CRASH_ENV, None)
    env["XSTILTS_CACHE_DIR"] = str(sweep.folder / "cache")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    if crash:
        env[CRASH_ENV] = crash
    return env


def start_sweep(sweep: SweepFolder, pipeline: str, crash: str | None, log: Path) -> subprocess.Popen:
    """The driver in its own session, so killing its process group takes its workers too."""
    command = [sys.executable, "-c", "import sys; from xstilts.cli import main; sys.exit(main())",
               "sweep", "run", str(sweep.sweep), "--no-calibrate", "--pipeline", pipeline]
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as handle:
        return subprocess.Popen(command, env=_environment(sweep, crash), stdin=subprocess.DEVNULL,
                                stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def run_sweep(sweep: SweepFolder, pipeline: str = "crash_pipeline", log_name: str = "complete.log") -> None:
    """Run the sweep to its end; fail loudly with the log when it does not exit 0."""
    log = sweep.folder / "logs" / log_name
    driver = start_sweep(sweep, pipeline, None, log)
    code = driver.wait(timeout=RUN_TIMEOUT_S)
    assert code == 0, f"sweep exited {code}:\n{log.read_text(errors='replace')[-3000:]}"


# --- kill points ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KillPoint:
    kind: str
    amount: float  # inside kinds: the n-th time the point is reached; after_steps: steps; after_seconds: s

    def __str__(self) -> str:
        return f"{self.kind}:{self.amount:g}"


def plan_kill_points(count: int, seed: int) -> list[KillPoint]:
    rng = random.Random(seed)
    amounts = {
        "checkpoint_write": lambda: rng.randint(1, 4),
        "after_steps": lambda: rng.randint(1, 5),
        "phase_done": lambda: rng.randint(1, 2),
        "store_write": lambda: 1,
        "after_seconds": lambda: round(rng.uniform(2.0, 15.0), 1),
    }
    return [KillPoint(kind, amounts[kind]()) for kind in (KINDS[i % len(KINDS)] for i in range(count))]


def _steps_reported_since(sweep: SweepFolder, since: float) -> int:
    """Training steps the workers reported (progress.jsonl) since the wall-clock time ``since``."""
    steps = 0
    for path in sweep.scratch.glob("*/progress.jsonl"):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:  # the line being written right now
                continue
            if event.get("event") == "step" and event.get("time", 0.0) >= since:
                steps += 1
    return steps


def _outside_trigger(point: KillPoint, sweep: SweepFolder, started: float, started_wall: float) -> bool:
    if point.kind == "after_seconds":
        return time.monotonic() - started >= point.amount
    return _steps_reported_since(sweep, started_wall) >= point.amount


def _live_members(group: int) -> list[psutil.Process]:
    """Processes of a process group that still run (zombies awaiting their reaper excluded)."""
    members = []
    for process in psutil.process_iter(["status"]):
        try:
            if os.getpgid(process.pid) == group and process.info["status"] != psutil.STATUS_ZOMBIE:
                members.append(process)
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return members


def _end_group(driver: subprocess.Popen, kill: bool) -> None:
    """Optionally SIGKILL the driver's group; then make sure no worker outlives it (a worker still
    writing while the rerun starts would be a bug of its own, and would spoil the comparison)."""
    if kill:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(driver.pid, signal.SIGKILL)
    driver.wait(timeout=30)
    deadline = time.monotonic() + ORPHAN_GRACE_S
    while (survivors := _live_members(driver.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    if survivors:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(driver.pid, signal.SIGKILL)
        raise AssertionError(f"processes outlived their sweep driver: {[p.pid for p in survivors]}")


def run_with_kill(sweep: SweepFolder, point: KillPoint, log: Path) -> bool:
    """Start the sweep and SIGKILL it at ``point``; True when the kill landed before the end."""
    inside = point.kind in INSIDE_KINDS
    started, started_wall = time.monotonic(), time.time()
    driver = start_sweep(sweep, "crash_pipeline", str(point) if inside else None, log)
    triggered = False
    try:
        while driver.poll() is None and not triggered:
            if time.monotonic() - started > RUN_TIMEOUT_S:
                raise AssertionError(f"sweep still running after {RUN_TIMEOUT_S} s at {point}")
            triggered = not inside and _outside_trigger(point, sweep, started, started_wall)
            time.sleep(0.02)
    finally:
        _end_group(driver, kill=triggered or driver.poll() is None)
    if driver.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"sweep exited {driver.returncode} at {point}:\n{log.read_text(errors='replace')[-3000:]}")
    return driver.returncode == -signal.SIGKILL


@dataclass
class CrashReport:
    landed: list[KillPoint]
    missed: list[KillPoint]  # the sweep finished before the point was reached
    seconds: float


def run_with_kills(sweep: SweepFolder, points: list[KillPoint]) -> CrashReport:
    """Kill at every point in turn (rerunning after each), then run the sweep to its end."""
    start = time.monotonic()
    report = CrashReport(landed=[], missed=[], seconds=0.0)
    for index, point in enumerate(points):
        landed = run_with_kill(sweep, point, sweep.folder / "logs" / f"kill-{index:02d}-{point.kind}.log")
        (report.landed if landed else report.missed).append(point)
    run_sweep(sweep)
    report.seconds = time.monotonic() - start
    return report


# --- what a finished sweep left behind ------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verified_folders(work: Path) -> list[Path]:
    """Every folder written with a manifest (checkpoints, best weights, encoders), quarantined
    corrupt ones excluded."""
    return sorted(p.parent for p in work.rglob("MANIFEST.json") if not p.parent.name.startswith("corrupt-"))


def weight_hashes(work: Path) -> dict[str, str]:
    """Relative folder -> SHA-256 of its model.safetensors, for every verified folder."""
    return {str(folder.relative_to(work)): sha256(folder / "model.safetensors")
            for folder in verified_folders(work) if (folder / "model.safetensors").is_file()}


def normalized_store(path: Path) -> dict[str, list]:
    """Every table's rows, sorted, with trial ids replaced by the trial's params (ids hash the whole
    config, work_dir and store paths included, so two folders running one sweep get other ids).
    Lists, not sets: a duplicated row would show."""
    with sqlite3.connect(path) as db:
        params = dict(db.execute("SELECT trial_id, params FROM trials"))
        phase_meta = {key: json.loads(meta) for key, meta in db.execute("SELECT key, meta FROM phases")}
        tables = {
            "trials": db.execute("SELECT params, status, error FROM trials").fetchall(),
            "scores": [(params[t], *rest) for t, *rest in db.execute("SELECT * FROM scores")],
            "trial_phases": [(params[t], key, position) for t, key, position
                             in db.execute("SELECT trial_id, phase_key, position FROM trial_phases")],
            "phases": [(key, phase, task, status, *(json.dumps(phase_meta[key].get(f), sort_keys=True) for f in OUTCOME_META))
                       for key, phase, task, status in db.execute("SELECT key, phase, task, status FROM phases")],
            "curves": db.execute("SELECT * FROM curves").fetchall(),
        }
    return {name: sorted(rows, key=repr) for name, rows in tables.items()}


# What a phase computed (not how: timings, resumes and quarantined checkpoints differ by design).
OUTCOME_META = ("steps", "diverged_step", "last_finite_loss", "best", "train_examples", "eval_examples")
