"""The Ray runner on a real local Ray cluster the module starts (one cluster: startup is slow).

(a) per-trial metrics equal the local runner's on the same sweep; (b) a Ray worker process
killed mid-trial makes Ray retry that trial and the sweep completes with nothing lost or
duplicated. Drivers run as ``xstilts sweep run --ray ADDRESS`` subprocesses, so this test
process never imports Ray (Ray fixes its bind address when imported).
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import types
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from rich.console import Console

from xstilts.store.sqlite import ResultStore
from xstilts.sweep import ray_runner
from xstilts.sweep.local import LocalRunner
from xstilts.sweep.adapter import Pipeline
from xstilts.sweep.plan import DefaultRate, plan_sweep
from xstilts.sweep.progress import ProgressBoard
from xstilts.sweep.driver import SweepDriver
from xstilts.sweep.spec import load_sweep
from xstilts.sweep.trials import expand_sweep

from sweep_helpers import FAKE, HERE, SMALL_GRID, attempts, steps_logged, write_sweep

RAY = Path(sys.executable).parent / "ray"
LOOPBACK_IPS = ("127.0.0.1", "::ffff:127.0.0.1", "::1")
COMPARED = ["intermediate_task", "batch_size", "learning_rate", "seed", "target_task", "language", "selection"]
READY_PROBE = "import ray, sys; ray.init(address=sys.argv[1]); assert ray.get(ray.remote(lambda: 7).remote()) == 7"


@dataclass
class RayCluster:
    address: str
    env: dict[str, str]  # for drivers: loopback mode, the fake pipeline on PYTHONPATH
    head: subprocess.Popen
    temp_dir: Path
    startup_s: float


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def wait_for_port(port: int, timeout_s: float, head: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if head.poll() is not None:
            raise AssertionError(f"ray start exited with {head.returncode}: {log.read_text()[-1500:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"Ray head did not open port {port} in {timeout_s} s")


def cluster_processes(head: subprocess.Popen, temp_dir: Path) -> list[psutil.Process]:
    """The head process, its descendants, and anything else launched for this cluster's temp dir."""
    found: dict[int, psutil.Process] = {}
    try:
        root = psutil.Process(head.pid)
        found.update({p.pid: p for p in [root, *root.children(recursive=True)]})
    except psutil.NoSuchProcess:
        pass
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if any(str(temp_dir) in part for part in proc.info["cmdline"] or []):
                found[proc.pid] = proc
                found.update({c.pid: c for c in proc.children(recursive=True)})
        except psutil.NoSuchProcess:
            continue
    return list(found.values())


def stop_cluster(head: subprocess.Popen, temp_dir: Path) -> None:
    processes = cluster_processes(head, temp_dir)
    head.send_signal(signal.SIGTERM)  # `ray start --block` stops what it started
    _, alive = psutil.wait_procs(processes, timeout=30)
    for proc in alive:  # leftovers of this cluster only, by pid
        proc.kill()
    psutil.wait_procs(alive, timeout=10)
    shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory):
    gcs, agent = free_ports(2)
    temp_dir = Path(tempfile.mkdtemp(prefix="xr"))  # short: Ray's socket paths have a length limit
    env = {**os.environ, **ray_runner.LOOPBACK_ENV, "RAY_USAGE_STATS_ENABLED": "0",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))}
    command = [str(RAY), "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={gcs}",
               "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp_dir}",
               f"--dashboard-agent-listen-port={agent}"]
    log_path = tmp_path_factory.mktemp("ray") / "ray-start.log"
    started = time.monotonic()
    with open(log_path, "wb") as log:
        head = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_port(gcs, timeout_s=120, head=head, log=log_path)
        address = f"127.0.0.1:{gcs}"
        subprocess.run([sys.executable, "-c", READY_PROBE, address], env=env, check=True, timeout=180,
                       capture_output=True)
        cluster = RayCluster(address, env, head, temp_dir, startup_s=time.monotonic() - started)
        print(f"\nRay cluster ready (head up, one task run) in {cluster.startup_s:.1f} s")
        yield cluster
    finally:
        stop_cluster(head, temp_dir)


def ray_sweep(cluster: RayCluster, path: Path) -> subprocess.Popen:
    """``xstilts sweep run --ray`` as a driver process."""
    command = [sys.executable, "-c", "import sys; from xstilts.cli import main; sys.exit(main())", "sweep", "run",
               str(path), "--ray", cluster.address, "--pipeline", FAKE, "--store", str(path.parent / "results.sqlite"),
               "--no-calibrate"]
    return subprocess.Popen(command, env=cluster.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def local_frame(path: Path):
    trials = expand_sweep(load_sweep(path), Pipeline(FAKE))
    board = ProgressBoard(trials, console=Console(file=io.StringIO()))
    with ResultStore(path.parent / "results.sqlite") as store:
        runner = LocalRunner(FAKE, load_sweep(path).base, path.parent / "trials", workers=2)
        assert SweepDriver(store, plan_sweep(trials, DefaultRate()), runner, board).run().counts == {"done": 3}
        return store.results_frame()


def test_ray_gives_the_local_runners_metrics(ray_cluster, tmp_path):
    local = local_frame(write_sweep(tmp_path / "local", SMALL_GRID))
    ray_path = write_sweep(tmp_path / "ray", SMALL_GRID)
    started = time.monotonic()
    driver = ray_sweep(ray_cluster, ray_path)
    output, _ = driver.communicate(timeout=300)
    print(f"\n3-trial sweep on Ray (driver start to exit): {time.monotonic() - started:.1f} s")
    assert driver.returncode == 0, output[-2000:]
    with ResultStore(ray_path.parent / "results.sqlite") as store:
        on_ray = store.results_frame()
    columns = [*COMPARED, "status", "metric", "score", "n_examples"]
    order = lambda frame: frame[columns].sort_values(COMPARED).reset_index(drop=True)  # noqa: E731
    assert len(on_ray) == len(local) == 15
    assert order(on_ray).equals(order(local))


def listening_ips(processes) -> list[str]:
    ips = []
    for proc in processes:
        try:
            ips += [c.laddr.ip for c in proc.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
        except psutil.NoSuchProcess:
            continue
    return ips


def wait_for_pid_file(path: Path, driver: subprocess.Popen, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return int(path.read_text())
        assert driver.poll() is None, driver.stdout.read()[-2000:]
        time.sleep(0.1)
    raise AssertionError("no trial reached the hold point")


def test_a_killed_worker_is_retried_and_nothing_is_lost_or_duplicated(ray_cluster, tmp_path):
    path = write_sweep(tmp_path, SMALL_GRID, overrides={"fake.hold_once": True, "fake.step_s": 0.05})
    work = tmp_path / "work"
    driver = ray_sweep(ray_cluster, path)
    try:
        killed = wait_for_pid_file(work / "hold.pid", driver, timeout_s=180)  # the Ray worker running a trial
        # While the sweep runs, every Ray server and the driver listen on loopback only.
        ips = listening_ips([*cluster_processes(ray_cluster.head, ray_cluster.temp_dir), psutil.Process(driver.pid)])
        os.kill(killed, signal.SIGKILL)
        output, _ = driver.communicate(timeout=300)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
    assert ips and set(ips) <= set(LOOPBACK_IPS), ips
    assert driver.returncode == 0, output[-2000:]
    with ResultStore(tmp_path / "results.sqlite") as store:
        statuses, frame = store.trial_statuses(), store.results_frame()
    assert len(statuses) == 3 and set(statuses.values()) == {"done"}
    assert len(frame) == 15 and not frame.duplicated(["trial_id", "target_task", "language"]).any()
    runs = attempts(work)  # a Ray worker process may run several trials one after another
    per_trial = Counter(trial for trial, _ in runs)
    assert sorted(per_trial.values()) == [1, 1, 2]  # exactly one trial ran twice
    retried = next(trial for trial, n in per_trial.items() if n == 2)
    first, second = [pid for trial, pid in runs if trial == retried]
    assert first == killed and second != killed  # killed mid-trial, then rerun by another worker
    for key, steps in steps_logged(work).items():
        assert steps == list(range(len(steps))), key  # the retry resumed; no step trained twice


def test_local_mode_starts_a_private_loopback_ray_without_dashboard(monkeypatch):
    """``--ray local``: loopback mode is set before Ray is imported; no dashboard."""
    calls, seen_env = [], []

    def init(**kwargs):
        calls.append(kwargs)
        seen_env.append({name: os.environ.get(name) for name in ray_runner.LOOPBACK_ENV})

    fake_ray = types.SimpleNamespace(is_initialized=lambda: False, init=init)
    monkeypatch.setitem(sys.modules, "ray", fake_ray)
    for name in ray_runner.LOOPBACK_ENV:
        monkeypatch.delenv(name, raising=False)
    assert ray_runner.connect("local") is fake_ray
    assert calls == [{"log_to_driver": False, "include_dashboard": False}]
    assert seen_env == [ray_runner.LOOPBACK_ENV]
    monkeypatch.delenv(next(iter(ray_runner.LOOPBACK_ENV)))
    ray_runner.connect("10.1.2.3:6379")  # a named cluster is joined as configured
    assert calls[1] == {"log_to_driver": False, "address": "10.1.2.3:6379"}
    assert seen_env[1] == dict.fromkeys(ray_runner.LOOPBACK_ENV)


def test_with_retry_exceptions_a_raising_trial_is_retried_then_recorded_failed(ray_cluster, tmp_path):
    path = write_sweep(tmp_path, SMALL_GRID, overrides={"fake.fail_task": "sst2"},
                       resources={"max_retries": 1, "retry_exceptions": True})
    driver = ray_sweep(ray_cluster, path)
    output, _ = driver.communicate(timeout=300)
    assert driver.returncode == 1 and "1 done, 2 failed" in output, output[-2000:]
    store = tmp_path / "results.sqlite"
    failed = sqlite3.connect(store).execute("SELECT trial_id, error FROM trials WHERE status = 'failed'").fetchall()
    with ResultStore(store) as db:
        assert set(db.trial_statuses().values()) == {"done", "failed"}
    assert len(failed) == 2 and all("fake failure in sst2" in error for _, error in failed)
    runs = [trial for trial, _ in attempts(tmp_path / "work")]
    assert all(runs.count(trial) == 2 for trial, _ in failed)  # the first try and one retry
