"""Experiment tracking: a trial's training curves and scores, live, in the tracker a user reads.

A tracker receives the trial's progress events (the same ones the progress display shows) and,
at the end, its result. Every tracker logs, per training phase, loss, learning rate and
examples/s against the phase's optimizer step while the phase runs; at the end, per target task,
the mean score over languages of each model selection rule, and the trial's parameters. A phase
reused from an earlier run logs nothing (its curve is in the store).

Trackers are named as HF Trainer's `report_to` names them and configured the way it does, by
their own environment variables (MLFLOW_TRACKING_URI, MLFLOW_EXPERIMENT_NAME, WANDB_MODE,
WANDB_PROJECT, WANDB_DIR ...). Their packages are imported only when a run asks for them.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable

from xstilts.errors import ConfigError
from xstilts.results import TrialResult

Progress = Callable[[dict[str, Any]], None]
INSTALL = "pip install 'xstilts[tracking]'"


class StepScalars:
    """Turns a step event into (phase tag, step, scalars); examples/s is measured between two
    consecutive steps of one phase, so it is live rather than a phase average."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[float, int]] = {}  # phase tag -> (time, examples) at the last step

    def __call__(self, event: dict[str, Any]) -> tuple[str, int, dict[str, float]] | None:
        if event.get("event") != "step":
            return None
        tag, scalars = f"{event['phase']}/{event['task']}", {"loss": float(event["loss"])}
        if "learning_rate" in event:
            scalars["learning_rate"] = float(event["learning_rate"])
        if "examples" in event:
            now, examples = time.perf_counter(), event["examples"]
            before = self._last.get(tag)
            if before is not None and now > before[0]:
                scalars["examples_per_s"] = (examples - before[1]) / (now - before[0])
            self._last[tag] = (now, examples)
        return tag, event["step"], scalars


def final_scores(result: TrialResult) -> dict[str, float]:
    """score/<target task>/<selection rule> -> mean over the task's languages."""
    by_task: dict[tuple[str, str], list[float]] = {}
    for row in result.scores:
        by_task.setdefault((row.target_task, row.selection), []).append(row.value)
    return {f"score/{task}/{selection}": sum(values) / len(values) for (task, selection), values in sorted(by_task.items())}


def _missing(package: str) -> ConfigError:
    return ConfigError("report_to", f"{package} is not installed: {INSTALL}")


class TensorBoardTracker:
    def __init__(self, work_dir: str, trial_id: str):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise _missing("tensorboard") from None
        self.writer = SummaryWriter(log_dir=str(Path(work_dir) / "tensorboard" / trial_id))
        self.scalars = StepScalars()

    def on_event(self, event: dict[str, Any]) -> None:
        step = self.scalars(event)
        if step is not None:
            tag, number, scalars = step
            for name, value in scalars.items():
                self.writer.add_scalar(f"{tag}/{name}", value, number)

    def finish(self, result: TrialResult) -> None:
        for name, value in final_scores(result).items():
            self.writer.add_scalar(name, value, 0)
        self.writer.add_text("params", "\n".join(f"{k}: {v}" for k, v in sorted(result.params.items())), 0)
        self.writer.flush()
        self.writer.close()


class MlflowTracker:
    """One MLflow run per trial, named by the trial id. Without MLFLOW_TRACKING_URI the runs go to
    a file store under <work_dir>/mlruns: one folder per run, so parallel trials and the nodes of a
    cluster sharing work_dir write without the locking a single SQLite file would need."""

    def __init__(self, work_dir: str, trial_id: str):
        uri = os.environ.get("MLFLOW_TRACKING_URI")
        if not uri:
            uri = (Path(work_dir).resolve() / "mlruns").as_uri()
            # MLflow 3 keeps the file store in maintenance mode behind this opt-in.
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        # Runs go where the user points them; MLflow's own usage reports do not (as with Ray's).
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        try:
            from mlflow.entities import Metric, Param
            from mlflow.exceptions import MlflowException
            from mlflow.tracking import MlflowClient
        except ImportError:
            raise _missing("mlflow") from None
        self.Metric, self.Param = Metric, Param
        self.client = MlflowClient(tracking_uri=uri)
        name = os.environ.get("MLFLOW_EXPERIMENT_NAME", "xstilts")
        try:
            experiment = self.client.get_experiment_by_name(name)
            experiment_id = experiment.experiment_id if experiment else self.client.create_experiment(name)
        except MlflowException:  # another trial created it between the two calls
            experiment_id = self.client.get_experiment_by_name(name).experiment_id
        self.run_id = self.client.create_run(experiment_id, run_name=trial_id, tags={"xstilts.trial_id": trial_id}).info.run_id
        self.scalars = StepScalars()
        self._pending: list = []  # step metrics queued in the background: no server round trip per step

    def _metrics(self, values: dict[str, float], step: int) -> list:
        now = int(time.time() * 1000)
        return [self.Metric(name, value, now, step) for name, value in values.items()]

    def on_event(self, event: dict[str, Any]) -> None:
        step = self.scalars(event)
        if step is not None:
            tag, number, scalars = step
            metrics = self._metrics({f"{tag}/{k}": v for k, v in scalars.items()}, number)
            self._pending.append(self.client.log_batch(self.run_id, metrics=metrics, synchronous=False))

    def finish(self, result: TrialResult) -> None:
        for operation in self._pending:
            operation.wait()
        params = [self.Param(name, str(value)) for name, value in sorted(result.params.items())]
        self.client.log_batch(self.run_id, metrics=self._metrics(final_scores(result), 0), params=params)
        self.client.set_tag(self.run_id, "xstilts.status", result.status)
        self.client.set_terminated(self.run_id, status="FINISHED" if result.status == "done" else "FAILED")


class WandbTracker:
    """One W&B run per trial, named by the trial id, under <work_dir>/wandb unless WANDB_DIR says
    otherwise; WANDB_MODE=offline keeps it on disk for `wandb sync`. Each phase's curve has its own
    step axis (<phase>/<task>/step): W&B's run step only grows, and every phase counts from 1."""

    def __init__(self, work_dir: str, trial_id: str):
        try:
            import wandb
        except ImportError:
            raise _missing("wandb") from None
        folder = Path(os.environ.get("WANDB_DIR") or Path(work_dir) / "wandb")
        folder.mkdir(parents=True, exist_ok=True)
        # console="off": W&B's stdout capture would fight the live progress display.
        settings = wandb.Settings(console="off", quiet=True)
        try:
            self.run = wandb.init(project=os.environ.get("WANDB_PROJECT", "xstilts"), name=trial_id, dir=str(folder),
                                  reinit="create_new", settings=settings, config={"trial_id": trial_id})
        except wandb.errors.Error as err:
            raise ConfigError("report_to", f"wandb could not start a run ({err}); log in, or set WANDB_MODE=offline") from None
        self.scalars = StepScalars()
        self._axes: set[str] = set()

    def on_event(self, event: dict[str, Any]) -> None:
        step = self.scalars(event)
        if step is None:
            return
        tag, number, scalars = step
        if tag not in self._axes:
            self.run.define_metric(f"{tag}/step", hidden=True)
            self.run.define_metric(f"{tag}/*", step_metric=f"{tag}/step")
            self._axes.add(tag)
        self.run.log({f"{tag}/step": number, **{f"{tag}/{k}": v for k, v in scalars.items()}})

    def finish(self, result: TrialResult) -> None:
        self.run.config.update(result.params, allow_val_change=True)
        self.run.summary.update({**final_scores(result), "status": result.status})
        self.run.finish(exit_code=0 if result.status == "done" else 1)


TRACKERS = {"tensorboard": TensorBoardTracker, "mlflow": MlflowTracker, "wandb": WandbTracker}


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
