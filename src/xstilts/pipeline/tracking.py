"""Experiment tracking: a trial's training curves and scores, live, in the tracker a user reads.

A tracker receives the trial's progress events (the same ones the progress display shows) and,
at the end, its result. TensorBoard: per training phase, loss, learning rate and examples/s
against the optimizer step, written while the phase runs; per target task, the mean score over
languages of each model selection rule. A phase reused from an earlier run logs nothing (its
curve is in the store).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from xstilts.errors import ConfigError
from xstilts.results import TrialResult

Progress = Callable[[dict[str, Any]], None]


class TensorBoardTracker:
    def __init__(self, folder: Path):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise ConfigError("report_to", "tensorboard is not installed: pip install 'xstilts[tracking]'") from None
        self.writer = SummaryWriter(log_dir=str(folder))
        self._last: dict[str, tuple[float, int]] = {}  # phase tag -> (time, examples) at the last step

    def on_event(self, event: dict[str, Any]) -> None:
        if event.get("event") != "step":
            return
        tag, step = f"{event['phase']}/{event['task']}", event["step"]
        self.writer.add_scalar(f"{tag}/loss", event["loss"], step)
        if "learning_rate" in event:
            self.writer.add_scalar(f"{tag}/learning_rate", event["learning_rate"], step)
        if "examples" in event:
            now, examples = time.perf_counter(), event["examples"]
            before = self._last.get(tag)
            if before is not None and now > before[0]:
                self.writer.add_scalar(f"{tag}/examples_per_s", (examples - before[1]) / (now - before[0]), step)
            self._last[tag] = (now, examples)

    def finish(self, result: TrialResult) -> None:
        by_task: dict[tuple[str, str], list[float]] = {}
        for row in result.scores:
            by_task.setdefault((row.target_task, row.selection), []).append(row.value)
        for (task, selection), values in sorted(by_task.items()):
            self.writer.add_scalar(f"score/{task}/{selection}", sum(values) / len(values), 0)
        self.writer.flush()
        self.writer.close()


TRACKERS = {"tensorboard": lambda work_dir, trial_id: TensorBoardTracker(Path(work_dir) / "tensorboard" / trial_id)}


def open_trackers(names: list[str], work_dir: str, trial_id: str) -> list:
    return [TRACKERS[name](work_dir, trial_id) for name in names]


def with_trackers(progress: Progress | None, trackers: list) -> Progress | None:
    """The progress callback that also feeds every tracker."""
    if not trackers:
        return progress

    def both(event: dict[str, Any]) -> None:
        if progress is not None:
            progress(event)
        for tracker in trackers:
            tracker.on_event(event)
    return both
