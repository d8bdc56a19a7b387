"""Run trials as Ray tasks (``xstilts sweep run SWEEP.yaml --ray ADDRESS``; extra ``xstilts[ray]``).

Each trial is one task with the sweep's resource request. When the worker process running
it dies, Ray reruns the task (``max_retries``); the pipeline then resumes the trial's phases
from the shared ``work_dir`` (a path every node sees, or an fsspec URI the pipeline
understands). Tasks return the TrialResult as JSON; the driver alone writes the store.
Progress events travel through a small actor that the driver drains.

``--ray local`` starts a private single-node Ray bound to 127.0.0.1 without a dashboard;
any other address (``auto``, ``host:port``) connects to that running cluster as it is.
"""

from __future__ import annotations

import os
import time
from typing import Any

import ray

from xstilts.results import TrialResult
from xstilts.sweep.spec import Resources
from xstilts.sweep.trials import Trial
from xstilts.sweep.worker import TrialRequest, execute_trial, failed_result, result_from_json, result_to_json, run_request

LOCAL = "local"


@ray.remote(num_cpus=0)
class ProgressInbox:
    """Collects (trial_id, event) pairs from tasks until the driver drains them."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []

    def push(self, trial_id: str, event: dict) -> None:
        self.events.append((trial_id, event))

    def drain(self) -> list[tuple[str, dict]]:
        events, self.events = self.events, []
        return events


@ray.remote
def run_trial_task(request_json: str, inbox: Any, raise_errors: bool) -> str:
    """One trial on a Ray worker. With ``raise_errors`` an exception reaches Ray, which retries."""
    request = TrialRequest.from_json(request_json)

    def progress(event: dict) -> None:
        inbox.push.remote(request.trial_id, {"time": time.time(), **event})

    run = run_request if raise_errors else execute_trial
    return result_to_json(run(request, progress))


def connect(address: str) -> None:
    """Start a private local Ray (``local``) or join the cluster at ``address``."""
    if ray.is_initialized():
        return
    # Nothing leaves the machine unless the user asks: no usage reports.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if address == LOCAL:
        ray.init(include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
    else:
        ray.init(address=address, log_to_driver=False)


def _error_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[-1] if text else ''}"


class RayRunner:
    """A Runner whose trials are Ray tasks; the cluster queues them by resources."""

    capacity: int | None = None

    def __init__(self, pipeline: str, base: str, address: str, resources: Resources):
        connect(address)
        self.pipeline, self.base, self.resources = pipeline, base, resources
        self.inbox = ProgressInbox.remote()
        self.task = run_trial_task.options(
            num_cpus=resources.num_cpus, num_gpus=resources.num_gpus,
            max_retries=resources.max_retries, retry_exceptions=resources.retry_exceptions,
        )
        self._refs: dict[Any, TrialRequest] = {}

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
        ready, _ = ray.wait(refs, num_returns=1, timeout=timeout_s)
        if ready:
            ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
        return [self._collect(ref) for ref in ready]

    def _collect(self, ref: Any) -> TrialResult:
        request = self._refs.pop(ref)
        try:
            return result_from_json(ray.get(ref))
        except ray.exceptions.RayError as err:  # retries exhausted, or the task raised
            return failed_result(request, _error_line(err))

    def progress_events(self) -> list[tuple[str, dict]]:
        return ray.get(self.inbox.drain.remote())

    def stop(self) -> None:
        for ref in self._refs:
            ray.cancel(ref, force=True)
        self._refs.clear()

    def close(self) -> None:
        ray.shutdown()
