"""``xstilts sweep plan|run SWEEP.yaml``: cost a sweep, then run it locally or on Ray.

Everything that can be wrong with the sweep file or the configs it produces is found before
the store is opened, so bad input exits with code 2 and writes nothing.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from xstilts.errors import ConfigError
from xstilts.sweep.adapter import DEFAULT_PIPELINE

# The planner, the store and rich load pandas and more: imported where used, so that
# `xstilts sweep --help` stays fast.
if TYPE_CHECKING:
    from rich.table import Table

    from xstilts.store.sqlite import ResultStore
    from xstilts.sweep.adapter import Pipeline
    from xstilts.sweep.plan import StepRate, SweepPlan
    from xstilts.sweep.spec import Sweep
    from xstilts.sweep.trials import Trial

SweepFile = Annotated[Path, typer.Argument(help="Sweep YAML: base config, overrides, grid (see `xstilts sweep --help-config`).")]
StoreOption = Annotated[Optional[Path], typer.Option("--store", help="SQLite results store (default: the base config's store).")]
NoCalibrate = Annotated[bool, typer.Option("--no-calibrate", help="Skip timing steps; assume --tokens-per-s instead.")]
TokensPerS = Annotated[Optional[float], typer.Option(
    "--tokens-per-s", min=1, help="Padded tokens per second assumed with --no-calibrate (default: a CPU rate; "
    "the plan's summary names it).")]
PipelineOption = Annotated[str, typer.Option("--pipeline", help="Module with load_config, plan_trial, run_trial and time_phase_step.")]


def _print_sweep_help(value: bool) -> None:
    if value:
        from xstilts.cli.help import sweep_file_help

        typer.echo(sweep_file_help())
        raise typer.Exit(0)


def _sweep_options(
    help_config: Annotated[bool, typer.Option("--help-config", is_eager=True, callback=_print_sweep_help,
                                              help="Describe the sweep-file format: every key, its default and meaning.")] = False,
) -> None:
    """Plan and run sweeps of trials."""


def _prepare(sweep_file: Path, pipeline_module: str) -> tuple[Sweep, Pipeline, list[Trial]]:
    from xstilts.cli.common import reject_run_config
    from xstilts.sweep.adapter import check_pipeline
    from xstilts.sweep.spec import load_sweep
    from xstilts.sweep.trials import expand_sweep

    reject_run_config(sweep_file)
    sweep = load_sweep(sweep_file)
    pipeline = check_pipeline(pipeline_module)
    check_sweep_data(sweep, pipeline)
    return sweep, pipeline, expand_sweep(sweep, pipeline)


def check_sweep_data(sweep: Sweep, pipeline: Pipeline) -> None:
    """Every grid point's data files are present before any trial is planned: a missing folder
    or split is one line naming the path and the command that fetches it, not a plan of
    trials with nothing to train on."""
    from xstilts.config import RunConfig
    from xstilts.errors import XstiltsError
    from xstilts.pipeline.preflight import check_data
    from xstilts.sweep.trials import format_override

    configs = []
    for point in sweep.spec.points() or [{}]:
        overrides = [format_override(k, v) for layer in (sweep.spec.overrides, point) for k, v in layer.items()]
        try:
            configs.append(pipeline.load_config(sweep.base, overrides))
        except XstiltsError:
            return  # a bad value: expand_sweep reports it, blaming the sweep file's key
    configs = [c for c in configs if isinstance(c, RunConfig)]  # another pipeline's configs are its own to check
    # The base config's download misses the intermediate tasks the grid adds: name them all.
    tasks = tuple(sorted({name for config in configs for name in config.intermediate.task_names()}))
    seen: set = set()
    for config in configs:
        check_data(config, str(sweep.base), seen, tasks)


def default_store_path(sweep: Sweep, trials: list[Trial]) -> Path:
    """The base config's ``store`` (same for every trial), else SWEEP.sqlite beside the sweep file."""
    from xstilts.sweep.trials import config_tree, dotted_get

    configured = dotted_get(config_tree(trials[0].config), "store") if trials else None
    return Path(configured) if configured else sweep.path.with_suffix(".sqlite")


def _store_path(option: Path | None, sweep: Sweep, trials: list[Trial]) -> Path:
    path = option or default_store_path(sweep, trials)
    if path.exists() and not path.is_file():
        raise ConfigError("--store" if option else "store", f"{path} is not a file", source=None if option else str(sweep.path))
    return path


def _rate(store: ResultStore | None, pipeline: Pipeline, tokens_per_s: float | None, recalibrate: bool) -> StepRate:
    from xstilts.sweep.plan import DEFAULT_PADDED_TOKENS_PER_S, CalibratedRate, DefaultRate

    tokens_per_s = tokens_per_s or DEFAULT_PADDED_TOKENS_PER_S
    return DefaultRate(tokens_per_s) if store is None else CalibratedRate(pipeline, store, refresh=recalibrate)


def _plan_table(plan: SweepPlan) -> Table:
    from rich.table import Table

    from xstilts.sweep.plan import STATES
    from xstilts.sweep.progress import trial_label

    table = Table(title=f"{len(plan.trials)} trials", title_justify="left")
    shown = [s for s in STATES if s != "stored" or any(p.state == s for p in plan.phases)]  # narrow when none
    for column in ("trial", "params", *shown, "est. hours"):
        table.add_column(column, justify="right" if column not in ("trial", "params") else "left")
    for trial in plan.trials:
        states = [p.state for p in plan.phases if p.trial_id == trial.trial_id]
        hours = plan.trial_estimate_s(trial.trial_id) / 3600.0
        table.add_row(trial.trial_id, trial_label(trial), *(str(states.count(s)) for s in shown),
                      f"{hours:.3f}")
    return table


def _summary_text(summary: dict) -> str:
    text = (f"{summary['trials']} trials, {summary['unique_phases']} distinct phases: "
            f"{summary['phases_to_compute']} to compute, {summary['phases_shared']} shared within the sweep, "
            f"{summary['phases_existing']} already in the work dir, "
            f"{summary['phases_stored']} of finished trials (results stored)\n"
            f"estimated device-hours: {summary['device_hours']:.3f} (training steps only; {summary['rate']})")
    if summary["training_phases_without_examples"]:
        text += ("\nwarning: no training examples found for "
                 f"{', '.join(summary['training_phases_without_examples'])} (check the train_split and data_dir)")
    return text


def _finished(db: ResultStore | None) -> frozenset[str]:
    return db.finished_trial_ids() if db is not None else frozenset()


def plan_command(
    sweep_file: SweepFile,
    store: StoreOption = None,
    no_calibrate: NoCalibrate = False,
    tokens_per_s: TokensPerS = None,
    recalibrate: Annotated[bool, typer.Option("--recalibrate", help="Time steps again even when cached.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    pipeline: PipelineOption = DEFAULT_PIPELINE,
) -> None:
    """List the sweep's trials, the phases they compute or reuse, and estimated device-hours."""
    from rich.console import Console

    from xstilts.store.sqlite import ResultStore
    from xstilts.sweep.plan import plan_sweep

    sweep, runs, trials = _prepare(sweep_file, pipeline)
    store_path = _store_path(store, sweep, trials)
    with ExitStack() as stack:
        # Without calibration an absent store stays absent (planning writes nothing).
        db = None if no_calibrate and not store_path.is_file() else stack.enter_context(ResultStore(store_path))
        plan = plan_sweep(trials, _rate(None if no_calibrate else db, runs, tokens_per_s, recalibrate), _finished(db))
    if as_json:
        typer.echo(json.dumps(plan.to_json(), indent=1))
        return
    Console().print(_plan_table(plan))
    typer.echo(_summary_text(plan.summary()))


def _runner(sweep: Sweep, pipeline: Pipeline, store_path: Path, workers: int, ray_address: str | None):
    if ray_address is None:
        from xstilts.sweep.local import LocalRunner

        return LocalRunner(pipeline.module, sweep.base, store_path.with_name(store_path.name + ".trials"), workers)
    from xstilts.sweep.ray_runner import RayRunner

    try:
        return RayRunner(pipeline.module, str(sweep.base), ray_address, sweep.spec.resources)
    except ModuleNotFoundError as err:
        if err.name != "ray":
            raise
        raise ConfigError("--ray", "Ray is not installed; pip install 'xstilts[ray]'") from None


def _discarder(sweep: Sweep, pipeline: Pipeline):
    """What deletes a finished trial's trained models, when the sweep keeps none (else None)."""
    if sweep.spec.keep_trained_models:
        return None
    if not pipeline.can_discard():
        raise ConfigError("keep_trained_models", f"pipeline {pipeline.module!r} has no discard_phase", source=str(sweep.path))
    return lambda trial, phase: pipeline.discard_phase(trial.config, phase)


def run_command(
    sweep_file: SweepFile,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Trials run at once (local runner).")] = 1,
    store: StoreOption = None,
    ray: Annotated[Optional[str], typer.Option("--ray", help="Run on Ray: 'local' (private, 127.0.0.1) or a cluster address.")] = None,
    no_calibrate: NoCalibrate = False,
    tokens_per_s: TokensPerS = None,
    pipeline: PipelineOption = DEFAULT_PIPELINE,
) -> None:
    """Run every trial not yet finished; rerunning resumes an interrupted sweep."""
    from xstilts.cli.common import quiet_libraries
    from xstilts.store.sqlite import ResultStore
    from xstilts.sweep.plan import plan_sweep
    from xstilts.sweep.progress import ProgressBoard
    from xstilts.sweep.driver import SweepDriver

    quiet_libraries()  # workers inherit the environment: their logs carry no bars or load reports

    sweep, runs, trials = _prepare(sweep_file, pipeline)
    store_path = _store_path(store, sweep, trials)
    with ResultStore(store_path) as db:
        finished = _finished(db)
        plan = plan_sweep(trials, _rate(None if no_calibrate else db, runs, tokens_per_s, False), finished)
        # Bad input fails here, before any worker starts: one line naming the key, exit 2.
        # Finished trials ran with their input already: checking them again only costs time.
        for trial in trials:
            if trial.trial_id not in finished:
                runs.preflight(trial.config)
        discard = _discarder(sweep, runs)
        runner = _runner(sweep, runs, store_path, workers, ray)
        try:
            with ProgressBoard(trials) as board:
                outcome = SweepDriver(db, plan, runner, board, discard).run()
        finally:
            getattr(runner, "close", lambda: None)()
    counts = ", ".join(f"{n} {status}" for status, n in sorted(outcome.counts.items()))
    typer.echo(f"sweep finished: {counts or 'nothing to run'}; results in {store_path}")
    if not outcome.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    sweep_app = typer.Typer(help="Plan and run sweeps of trials.", no_args_is_help=True)
    sweep_app.callback()(_sweep_options)
    sweep_app.command("plan")(plan_command)
    sweep_app.command("run")(run_command)
    app.add_typer(sweep_app, name="sweep")
