"""Run one trial in its own process: ``python -m xstilts.sweep.worker REQUEST.json``.

The request (JSON) names the pipeline module, the run config and overrides, and where to
append progress events (JSON lines) and write the TrialResult (JSON, atomically). The
worker dies with its parent, so a killed sweep driver leaves no trial running behind it;
the next run resumes that trial's phases.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import threading
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from xstilts.io import atomic_write_text
from xstilts.results import TrialResult
from xstilts.sweep.adapter import Pipeline

PARENT_POLL_S = 0.5
PR_SET_PDEATHSIG = 1  # linux/prctl.h


@dataclass(frozen=True)
class TrialRequest:
    pipeline: str
    base: str
    overrides: list[str]
    trial_id: str
    params: dict[str, Any]
    progress_path: str | None = None
    result_path: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "TrialRequest":
        return cls(**json.loads(text))


def run_request(request: TrialRequest, progress: Callable[[dict], None] | None = None) -> TrialResult:
    """Load the config and run the trial; exceptions propagate."""
    pipeline = Pipeline(request.pipeline)
    config = pipeline.load_config(Path(request.base), request.overrides)
    return pipeline.run_trial(config, trial_id=request.trial_id, progress=progress)


def execute_trial(request: TrialRequest, progress: Callable[[dict], None] | None = None) -> TrialResult:
    """``run_request``, with an exception turned into a failed TrialResult."""
    try:
        return run_request(request, progress)
    except Exception as err:  # noqa: BLE001 - one trial's failure must not stop the sweep
        traceback.print_exc(file=sys.stderr)
        return failed_result(request, f"{type(err).__name__}: {err}")


def failed_result(request: TrialRequest, error: str) -> TrialResult:
    return TrialResult(trial_id=request.trial_id, params=dict(request.params), status="failed", error=error)


def result_to_json(result: TrialResult) -> str:
    return json.dumps(result.to_dict())


def result_from_json(text: str) -> TrialResult:
    return TrialResult.from_dict(json.loads(text))


def progress_appender(path: Path) -> Callable[[dict], None]:
    """A progress callback appending one JSON line per event (whole lines, flushed)."""
    handle = open(path, "a", encoding="utf-8")

    def emit(event: dict) -> None:
        handle.write(json.dumps({"time": time.time(), **event}, default=str) + "\n")
        handle.flush()

    return emit


def _poll_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_S)
    os._exit(1)


def die_with_parent(parent_pid: int) -> None:
    """End this process as soon as its parent (the driver) dies: nobody would record the trial.

    On Linux the kernel sends SIGKILL at once (prctl PR_SET_PDEATHSIG); elsewhere a thread
    polls the parent id.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) == 0:
            if os.getppid() != parent_pid:  # the parent died before prctl took effect
                os._exit(1)
            return
    except (OSError, AttributeError):  # no libc prctl: not Linux
        pass
    threading.Thread(target=_poll_parent, args=(parent_pid,), daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # The driver's pid, not os.getppid(): if the driver died while this process was starting,
    # the parent id is already the reaper's and a check against it would pass.
    die_with_parent(int(argv[1]) if len(argv) > 1 else os.getppid())
    request = TrialRequest.from_json(Path(argv[0]).read_text(encoding="utf-8"))
    progress = progress_appender(Path(request.progress_path)) if request.progress_path else None
    result = execute_trial(request, progress)
    atomic_write_text(request.result_path, result_to_json(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
