"""A sweep on a two-node Ray cluster (docs/ray.md), one node killed mid-trial: nothing is lost.

Three `ray start` processes on this machine make the cluster: a head that only coordinates
(`--num-cpus=0`, as on a real cluster) and two worker nodes with one CPU each, so two trials
run at once, one per node. The first trial to reach its intermediate phase's second step holds;
the test SIGKILLs every process of the node running it (raylet, workers, agents: what a
machine's death leaves). Ray reruns the trial on the surviving node, which resumes its phases
from the shared work_dir, and the store ends equal to an undisturbed run's on the same cluster.
The head's health checks are tightened so the dead node is noticed in about a second, not 15 s.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from xstilts.store.sqlite import ResultStore

from sweep_helpers import HERE, SMALL_GRID, attempts, steps_logged, write_sweep
from test_sweep_ray import (COMPARED, RAY, READY_PROBE, RayCluster, free_ports, ray_sweep, stop_cluster,
                            wait_for_pid_file, wait_for_port)

# A dead node refuses the check at once, so a long timeout does not slow its detection (~2 s),
# while a live node on two busy cores is not declared dead for answering late.
FAST_NODE_DEATH = {"RAY_health_check_period_ms": "500", "RAY_health_check_timeout_ms": "5000",
                   "RAY_health_check_failure_threshold": "4"}


@dataclass
class TwoNodes(RayCluster):
    workers: list[subprocess.Popen]  # the two worker nodes' `ray start --block` processes


def node_processes(node: subprocess.Popen) -> list[psutil.Process]:
    try:
        root = psutil.Process(node.pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def start_node(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:  # the child keeps its own handle
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def wait_for_nodes(cluster: TwoNodes, alive: int, timeout_s: float) -> None:
    """Until the cluster counts ``alive`` live worker nodes (CPUs are only on worker nodes)."""
    probe = ("import ray, sys; ray.init(address=sys.argv[1], log_to_driver=False); "
             "print(int(ray.cluster_resources().get('CPU', 0)))")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        out = subprocess.run([sys.executable, "-c", probe, cluster.address], env=cluster.env, capture_output=True,
                             text=True, timeout=120)
        if out.returncode == 0 and out.stdout.split()[-1:] == [str(alive)]:
            return
        time.sleep(0.5)
    raise AssertionError(f"the cluster did not reach {alive} worker nodes in {timeout_s} s: "
                         f"{out.stdout[-500:]} {out.stderr[-1500:]}")


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory):
    gcs, *agents = free_ports(3)
    temp_dir = Path(tempfile.mkdtemp(prefix="xr2"))  # short: Ray's socket paths have a length limit
    # A multi-node Ray binds every interface (its loopback-only mode refuses a second node): a token
    # known only to this test's processes keeps anyone else from joining or submitting work.
    env = {**os.environ, **FAST_NODE_DEATH, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16),
           "RAY_USAGE_STATS_ENABLED": "0",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))}
    env.pop("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", None)
    common = ["--block", "--disable-usage-stats", f"--temp-dir={temp_dir}"]
    logs = tmp_path_factory.mktemp("ray")
    started = time.monotonic()
    head = start_node([str(RAY), "start", "--head", f"--port={gcs}", "--num-cpus=0", "--include-dashboard=false",
                       f"--dashboard-agent-listen-port={agents[0]}", *common], env, logs / "head.log")
    cluster = TwoNodes(f"127.0.0.1:{gcs}", env, head, temp_dir, 0.0, workers=[])
    try:
        wait_for_port(gcs, timeout_s=120, head=head, log=logs / "head.log")
        for n, agent in enumerate(agents):  # one after the other: nodes sharing a temp dir race for file names
            cluster.workers.append(start_node([str(RAY), "start", f"--address={cluster.address}", "--num-cpus=1",
                                               f"--dashboard-agent-listen-port={agent}", *common], env,
                                              logs / f"worker{n}.log"))
            wait_for_nodes(cluster, alive=n + 1, timeout_s=120)
        subprocess.run([sys.executable, "-c", READY_PROBE, cluster.address], env=env, check=True, timeout=180,
                       capture_output=True)
        cluster.startup_s = time.monotonic() - started
        print(f"\ntwo-node Ray cluster ready in {cluster.startup_s:.1f} s")
        yield cluster
    finally:
        for node in cluster.workers:  # by pid: this cluster's processes only
            for proc in node_processes(node):
                proc.kill()
        stop_cluster(head, temp_dir)


def run_to_end(driver: subprocess.Popen) -> str:
    try:
        output, _ = driver.communicate(timeout=240)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
    assert driver.returncode == 0, output[-2000:]
    return output


def stored(folder: Path):
    with ResultStore(folder / "results.sqlite") as store:
        statuses, frame = store.trial_statuses(), store.results_frame()
    assert len(statuses) == 3 and set(statuses.values()) == {"done"}
    assert len(frame) == 15 and not frame.duplicated(["trial_id", "target_task", "language"]).any()
    columns = [*COMPARED, "status", "metric", "score", "n_examples"]
    return frame[columns].sort_values(COMPARED).reset_index(drop=True)


def test_a_node_killed_mid_trial_loses_nothing(two_nodes, tmp_path):
    started = time.monotonic()
    undisturbed = write_sweep(tmp_path / "undisturbed", SMALL_GRID)
    run_to_end(ray_sweep(two_nodes, undisturbed))
    print(f"\nundisturbed 3-trial sweep on two nodes: {time.monotonic() - started:.1f} s")

    path = write_sweep(tmp_path / "killed", SMALL_GRID, overrides={"fake.hold_once": True, "fake.step_s": 0.05})
    work = path.parent / "work"
    started = time.monotonic()
    driver = ray_sweep(two_nodes, path)
    held = wait_for_pid_file(work / "hold.pid", driver, timeout_s=120)
    on_node = [n for n, node in enumerate(two_nodes.workers) if held in {p.pid for p in node_processes(node)}]
    assert len(on_node) == 1, "the held trial runs on neither worker node"
    dead = two_nodes.workers[on_node[0]]
    dead_processes = node_processes(dead)
    for proc in dead_processes:  # the whole node at once, as when its machine goes
        proc.send_signal(signal.SIGKILL)
    dead.wait(timeout=30)
    run_to_end(driver)
    print(f"sweep with a node killed mid-trial: {time.monotonic() - started:.1f} s")

    assert stored(path.parent).equals(stored(undisturbed.parent))
    runs = attempts(work)
    per_trial = Counter(trial for trial, _ in runs)
    assert sorted(per_trial.values()) == [1, 1, 2]  # only the killed trial ran twice
    retried = next(trial for trial, n in per_trial.items() if n == 2)
    first, second = [pid for trial, pid in runs if trial == retried]
    assert first == held and second not in {p.pid for p in dead_processes}  # rerun on the node that lived
    for key, steps in steps_logged(work).items():
        assert steps == list(range(len(steps))), key  # resumed from the shared work_dir: no step twice
