"""Run trials as Ray tasks (``xstilts sweep run SWEEP.yaml --ray ADDRESS``; extra ``xstilts[ray]``).

Each trial is one task with the sweep's resource request. When the worker process running
it dies, Ray reruns the task (``max_retries``); the pipeline then resumes the trial's phases
from the shared ``work_dir`` (a path every node sees, or an fsspec URI the pipeline
understands). Tasks return the TrialResult as JSON; the driver alone writes the store.
Progress events travel through a small actor that the driver drains.

``--ray local`` starts a private single-node Ray bound to 127.0.0.1 without a dashboard;
any other address (``auto``, ``host:port``) joins that running cluster as it is configured.
Ray swaps a ``--node-ip-address`` of 127.0.0.1 for the machine's address and binds its
servers to every interface; only its single-machine mode (RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0,
read when ``ray`` is imported) keeps them on loopback. So ``ray`` is imported here lazily,
after ``--ray local`` has set that variable.
"""

from __future__ import annotations

import importlib
import os
import time
from types import ModuleType
from typing import Any

from xstilts.results import TrialResult
from xstilts.sweep.spec import Resources
from xstilts.sweep.trials import Trial
from xstilts.sweep.worker import TrialRequest, execute_trial, failed_result, result_from_json, result_to_json, run_request

LOCAL = "local"
LOOPBACK_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


class ProgressInbox:
    """A Ray actor: collects (trial_id, event) pairs from tasks until the driver drains them."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []

    def push(self, trial_id: str, event: dict) -> None:
        self.events.append((trial_id, event))

    def drain(self) -> list[tuple[str, dict]]:
        events, self.events = self.events, []
        return events


def run_trial_task(request_json: str, inbox: Any, raise_errors: bool) -> str:
    """A Ray task: one trial. With ``raise_errors`` an exception reaches Ray, which retries."""
    request = TrialRequest.from_json(request_json)

    def progress(event: dict) -> None:
        inbox.push.remote(request.trial_id, {"time": time.time(), **event})

    run = run_request if raise_errors else execute_trial
    return result_to_json(run(request, progress))


def connect(address: str) -> ModuleType:
    """Start a private loopback Ray (``local``) or join the cluster at ``address``; returns ``ray``."""
    # Nothing leaves the machine unless the user asks: no usage reports.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if address == LOCAL:
        for name, value in LOOPBACK_ENV.items():
            os.environ.setdefault(name, value)
    ray = importlib.import_module("ray")
    if not ray.is_initialized():
        options = {"include_dashboard": False} if address == LOCAL else {"address": address}
        ray.init(log_to_driver=False, **options)
    return ray


def _error_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[-1] if text else ''}"


class RayRunner:
    """A Runner whose trials are Ray tasks; the cluster queues them by resources."""

    capacity: int | None = None

    def __init__(self, pipeline: str, base: str, address: str, resources: Resources):
        self.ray = connect(address)
        self.pipeline, self.base, self.resources = pipeline, base, resources
        self.inbox = self._driver_local_inbox()
        self.task = self.ray.remote(run_trial_task).options(
            num_cpus=resources.num_cpus, num_gpus=resources.num_gpus,
            max_retries=resources.max_retries, retry_exceptions=resources.retry_exceptions,
        )
        self._refs: dict[Any, TrialRequest] = {}

    def _driver_local_inbox(self) -> Any:
        """The progress actor lives on the driver's node: on a worker node, that node's death
        would take the sweep's progress (and the driver's next drain) with it."""
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        here = NodeAffinitySchedulingStrategy(self.ray.get_runtime_context().get_node_id(), soft=False)
        return self.ray.remote(num_cpus=0)(ProgressInbox).options(scheduling_strategy=here).remote()

    def recover(self, trial: Trial) -> TrialResult | None:
        return None  # results travel in Ray's object store, never through files

    def start(self, trial: Trial) -> None:
        request = TrialRequest(pipeline=self.pipeline, base=self.base, overrides=list(trial.overrides),
                               trial_id=trial.trial_id, params=trial.params)
        ref = self.task.remote(request.to_json(), self.inbox, self.resources.retry_exceptions)
        self._refs[ref] = request

    def finished(self, timeout_s: float) -> list[TrialResult]:
        if not self._refs:
            time.sleep(timeout_s)
            return []
        refs = list(self._refs)
        ready, _ = self.ray.wait(refs, num_returns=1, timeout=timeout_s)
        if ready:
            ready, _ = self.ray.wait(refs, num_returns=len(refs), timeout=0)
        return [self._collect(ref) for ref in ready]

    def _collect(self, ref: Any) -> TrialResult:
        request = self._refs.pop(ref)
        try:
            return result_from_json(self.ray.get(ref))
        except self.ray.exceptions.RayError as err:  # retries exhausted, or the task raised
            return failed_result(request, _error_line(err))

    def progress_events(self) -> list[tuple[str, dict]]:
        return self.ray.get(self.inbox.drain.remote())

    def stop(self) -> None:
        for ref in self._refs:
            self.ray.cancel(ref, force=True)
        self._refs.clear()

    def close(self) -> None:
        self.ray.shutdown()
