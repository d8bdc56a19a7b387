"""Run trials on this machine, each in its own process, N at a time.

Each trial gets a folder under ``scratch_dir`` with its request, progress events, result and
log. A worker writes its result atomically before exiting, so a driver killed after that but
before recording finds the result on the next run (``recover``) instead of rerunning.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from xstilts.results import TrialResult
from xstilts.sweep.trials import Trial
from xstilts.sweep.worker import TrialRequest, failed_result, result_from_json

STOP_GRACE_S = 10.0
LOG_TAIL_CHARS = 2000


class TrialFiles:
    """Where one trial's request, progress, result and log live."""

    def __init__(self, scratch_dir: Path, trial_id: str):
        self.folder = scratch_dir / trial_id
        self.request = self.folder / "request.json"
        self.progress = self.folder / "progress.jsonl"
        self.result = self.folder / "result.json"
        self.log = self.folder / "worker.log"

    def clear_outputs(self) -> None:
        for path in (self.progress, self.result, self.log):
            path.unlink(missing_ok=True)

    def log_tail(self) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return text[-LOG_TAIL_CHARS:].strip()


class LocalRunner:
    """A Runner that starts ``python -m xstilts.sweep.worker`` per trial."""

    def __init__(self, pipeline: str, base: Path, scratch_dir: Path, workers: int = 1):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.pipeline, self.base, self.scratch_dir = pipeline, base, scratch_dir
        self.capacity: int | None = workers
        self._procs: dict[str, tuple[subprocess.Popen, TrialRequest]] = {}
        self._offsets: dict[str, int] = {}

    def _request(self, trial: Trial, files: TrialFiles) -> TrialRequest:
        return TrialRequest(pipeline=self.pipeline, base=str(self.base), overrides=list(trial.overrides),
                            trial_id=trial.trial_id, params=trial.params,
                            progress_path=str(files.progress), result_path=str(files.result))

    def recover(self, trial: Trial) -> TrialResult | None:
        files = TrialFiles(self.scratch_dir, trial.trial_id)
        return result_from_json(files.result.read_text(encoding="utf-8")) if files.result.exists() else None

    def start(self, trial: Trial) -> None:
        files = TrialFiles(self.scratch_dir, trial.trial_id)
        files.folder.mkdir(parents=True, exist_ok=True)
        files.clear_outputs()
        request = self._request(trial, files)
        files.request.write_text(request.to_json(), encoding="utf-8")
        with open(files.log, "wb") as log:
            # The driver's pid travels with the request: a worker that starts after its driver died
            # must see that (its own parent id is then already the reaper's) and exit.
            proc = subprocess.Popen([sys.executable, "-m", "xstilts.sweep.worker", str(files.request), str(os.getpid())],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        self._procs[trial.trial_id] = (proc, request)
        self._offsets[trial.trial_id] = 0

    def finished(self, timeout_s: float) -> list[TrialResult]:
        deadline = time.monotonic() + timeout_s
        while True:
            ended = [tid for tid, (proc, _) in self._procs.items() if proc.poll() is not None]
            if ended or time.monotonic() >= deadline:
                return [self._collect(tid) for tid in ended]
            time.sleep(0.05)

    def _collect(self, trial_id: str) -> TrialResult:
        proc, request = self._procs.pop(trial_id)
        files = TrialFiles(self.scratch_dir, trial_id)
        if files.result.exists():
            return result_from_json(files.result.read_text(encoding="utf-8"))
        return failed_result(request, f"worker exited with code {proc.returncode}: {files.log_tail()}")

    def progress_events(self) -> list[tuple[str, dict]]:
        events: list[tuple[str, dict]] = []
        for trial_id in list(self._offsets):
            events.extend((trial_id, e) for e in self._read_new_events(trial_id))
            if trial_id not in self._procs:
                del self._offsets[trial_id]
        return events

    def _read_new_events(self, trial_id: str) -> list[dict]:
        path = TrialFiles(self.scratch_dir, trial_id).progress
        if not path.exists():
            return []
        with open(path, "rb") as handle:
            handle.seek(self._offsets[trial_id])
            chunk = handle.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written waits
        self._offsets[trial_id] += len(complete)
        return [json.loads(line) for line in complete.splitlines() if line.strip()]

    def stop(self) -> None:
        for proc, _ in self._procs.values():
            proc.terminate()
        deadline = time.monotonic() + STOP_GRACE_S
        for proc, _ in self._procs.values():
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._procs.clear()
