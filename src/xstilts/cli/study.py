"""``xstilts study SWEEP.yaml --out DIR``: run a sweep (resumable), then write its report.

The README's first command. It is `xstilts sweep run` followed by `xstilts report`, with the
report told how much data each phase saw (read from the sweep's base config).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional, Sequence

import typer

if TYPE_CHECKING:
    from xstilts.config import RunConfig
    from xstilts.sweep.trials import Trial


def data_per_phase(config: RunConfig, intermediate: Sequence[RunConfig] = ()) -> dict[str, str]:
    """What each phase trains and evaluates on, in words, for the report.

    ``intermediate``: the configs of the sweep's trials (their intermediate tasks and splits may
    differ: one arm per task); default: the config's own intermediate phase.
    """
    described = [_intermediate_data(trial) for trial in (intermediate or [config]) if trial.intermediate.task != "none"]
    notes = {"intermediate": "; ".join(dict.fromkeys(described))} if described else {}
    for task, target in config.targets.items():
        train = target.train_split or "(spec's English train)"
        cap = f", at most {target.max_eval_examples} per language" if target.max_eval_examples else ""
        langs = ",".join(target.languages) if target.languages else "every language in the pack"
        if target.model_from:
            trains = f"the model trained for {target.model_from}; "
        elif task in ("tatoeba", "bucc2018"):
            trains = ""
        else:
            trains = f"train {train} x {target.train.epochs} epoch(s); "
        notes[task] = f"{trains}evaluate {target.eval_split}{cap} in {langs}"
    return notes


def _intermediate_data(config: RunConfig) -> str:
    inter = config.intermediate
    steps = f" (at most {inter.train.max_steps} steps)" if inter.train.max_steps else ""
    return f"{inter.task}: {inter.train_split} x {inter.train.epochs} epoch(s){steps}, max length {inter.max_length}"


def study_notes(base: RunConfig, trials: Sequence[Trial]) -> dict[str, str | dict[str, str]]:
    """The report's study notes: data per phase, and how many of the sweep's trials it covers."""
    from xstilts.store.sqlite import ResultStore

    finished_ids: frozenset[str] = frozenset()
    dropped: dict[str, int] = {}
    if Path(base.store).is_file():
        with ResultStore(base.store, readonly=True) as results:  # the notes only read
            finished_ids = results.finished_trial_ids()
            dropped = results.overlap_dropped()
    finished = sum(trial.trial_id in finished_ids for trial in trials)
    notes: dict[str, Any] = {"data_per_phase": data_per_phase(base, [trial.config for trial in trials]),
                             "trials": f"{finished} of the sweep's {len(trials)} trials finished when this report was written"}
    others = len(finished_ids - {trial.trial_id for trial in trials})
    if others:
        # A trial's id covers its settings and its phases' content keys: another sweep sharing
        # the store, or this one before its data, model or phase code changed.
        notes["other_trials"] = (f"the store also holds {others} finished trial(s) this sweep file does not produce "
                                 "(other settings, or other data, model files or code); this report leaves them out")
    if dropped:
        notes["overlap_dropped"] = ("examples left out of training because an evaluated split of another task "
                                    "holds their text: " + "; ".join(f"{read}: {n}" for read, n in sorted(dropped.items())))
    return notes


def study_command(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep YAML (e.g. configs/mini-study.yaml).")],
    out: Annotated[Optional[Path], typer.Option("--out", help="Folder for report.html, report.md, CSVs and plots "
                                                "(default: runs/<sweep file name>/report, e.g. runs/mini-study-smoke/report).")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Trials run at once.")] = 2,
    resamples: Annotated[int, typer.Option("--resamples", min=100, help="Bootstrap resamples in the report.")] = 2000,
    smoke: Annotated[bool, typer.Option("--smoke", help="Run the few-minute variant <name>-smoke.yaml beside the sweep file (used by CI).")] = False,
    report_only: Annotated[bool, typer.Option("--report-only", help="Run no trial: report the ones finished so far (e.g. of a long study still running).")] = False,
) -> None:
    """Run a whole study: every trial of the sweep, then the report that answers the question."""
    import yaml

    from xstilts.cli.report import write_report
    from xstilts.cli.sweep import run_command
    from xstilts.io import atomic_write_text

    start = time.perf_counter()
    if smoke:
        sweep_file = sweep_file.with_name(f"{sweep_file.stem}-smoke{sweep_file.suffix}")
    out = out or Path("runs") / sweep_file.stem / "report"
    sweep, base, trials = _checked_study(sweep_file, out, report_only)
    if not report_only:
        try:
            run_command(sweep_file, workers=workers, store=None, ray=None, no_calibrate=True)
        except typer.Exit as stop:
            if stop.exit_code:
                typer.echo("some trials failed; the report shows them", err=True)
    notes_file = out / "study-notes.yaml"
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(notes_file, yaml.safe_dump(study_notes(base, trials), sort_keys=False))
    write_report(Path(base.store), out, title=f"xstilts study: {sweep_file.stem}", notes=notes_file, resamples=resamples,
                 only_trials=frozenset(trial.trial_id for trial in trials))
    typer.echo(f"study finished in {time.perf_counter() - start:.0f} s; open {out / 'report.html'}")


def _checked_study(sweep_file: Path, out: Path, report_only: bool):
    """(sweep, base config, trials), after every check that can fail on bad input: nothing is
    written (no report folder) before the sweep file, its trials and --out are known good."""
    from xstilts.cli.common import reject_run_config
    from xstilts.cli.sweep import check_sweep_data
    from xstilts.config import load_config
    from xstilts.errors import ConfigError
    from xstilts.sweep.adapter import DEFAULT_PIPELINE, check_pipeline
    from xstilts.sweep.spec import load_sweep
    from xstilts.sweep.trials import expand_sweep, format_override

    reject_run_config(sweep_file)
    sweep = load_sweep(sweep_file)
    base = load_config(sweep.base, [format_override(k, v) for k, v in sweep.spec.overrides.items()])
    pipeline = check_pipeline(DEFAULT_PIPELINE)
    check_sweep_data(sweep, pipeline)  # a missing data folder: one line with the command that fetches it
    trials = expand_sweep(sweep, pipeline)
    if out.exists() and not out.is_dir():
        raise ConfigError("--out", f"{out} exists and is not a folder")
    if report_only:
        _check_reportable(Path(base.store), trials)
    return sweep, base, trials


def _check_reportable(store: Path, trials) -> None:
    """--report-only needs at least one finished trial of this sweep in the store: trial ids
    hash the settings, so a store written by other settings (or a code version whose ids
    differ) holds none, and an empty report would hide that."""
    from xstilts.errors import ConfigError
    from xstilts.store.sqlite import ResultStore

    if not store.is_file():
        raise ConfigError("--report-only", f"no results store at {store} yet: run the study first")
    with ResultStore(store, readonly=True) as results:
        finished = results.finished_trial_ids()
    if not finished & {trial.trial_id for trial in trials}:
        raise ConfigError("--report-only", f"none of this sweep's {len(trials)} trials has finished in {store} "
                          f"(it holds {len(finished)} finished trial(s) under other ids: other settings, or a version that "
                          "named trials differently): run the study first, "
                          "or report the whole store with `xstilts report`")


def register(app: typer.Typer) -> None:
    app.command("study")(study_command)
