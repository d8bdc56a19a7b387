"""``xstilts data inspect``: read one data file and show what a pipeline would get from it;
``xstilts data download``: write tasks' hub splits as the files a data dir holds."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import typer

from xstilts.data.examples import (
    BitextCorpus,
    ChoiceExample,
    ClassificationExample,
    SpanExample,
    TaggingExample,
)
from xstilts.data.readers import detect_format, read
from xstilts.tasks.registry import get_task

SAMPLE_SIZE = 3
LABELS_SHOWN = 20  # tag sets can be large; the text view shows the most frequent ones


def _classification_labels(examples: Sequence[ClassificationExample]) -> Counter:
    return Counter("(none)" if e.label is None else e.label for e in examples)


def _choice_labels(examples: Sequence[ChoiceExample]) -> Counter:
    return Counter("(none)" if e.label is None else str(e.label) for e in examples)


def _span_labels(examples: Sequence[SpanExample]) -> Counter:
    return Counter("unanswerable" if e.is_impossible else "answerable" for e in examples)


def _tagging_labels(examples: Sequence[TaggingExample]) -> Counter:
    return Counter(tag for e in examples for tag in (e.tags or ("(none)",) * len(e.tokens)))


# What "label distribution" means for each example type (tags count per token).
LABEL_COUNTERS: dict[type, Callable[[Sequence[Any]], Counter]] = {
    ClassificationExample: _classification_labels,
    ChoiceExample: _choice_labels,
    SpanExample: _span_labels,
    TaggingExample: _tagging_labels,
}


def summarize(path: Path, fmt: str, result: list | BitextCorpus) -> dict[str, Any]:
    """The facts `inspect` prints: counts, label distribution and a few examples."""
    if isinstance(result, BitextCorpus):
        return _summarize_bitext(path, fmt, result)
    counts = LABEL_COUNTERS[type(result[0])](result) if result else Counter()
    return {
        "file": str(path),
        "format": fmt,
        "examples": len(result),
        "skipped": getattr(result, "skipped", 0),
        "labels": dict(sorted(counts.items())),
        "sample": [asdict(example) for example in result[:SAMPLE_SIZE]],
    }


def _summarize_bitext(path: Path, fmt: str, corpus: BitextCorpus) -> dict[str, Any]:
    pairs = corpus.gold[:SAMPLE_SIZE]
    return {
        "file": str(path),
        "format": fmt,
        "examples": len(corpus),
        "source_lang": corpus.source_lang,
        "target_lang": corpus.target_lang,
        "source_sentences": len(corpus.source),
        "target_sentences": len(corpus.target),
        "gold_pairs": len(corpus.gold),
        "sample": [{"source": corpus.source[s], "target": corpus.target[t]} for s, t in pairs],
    }


def _print_summary(summary: dict[str, Any]) -> None:
    for key, value in summary.items():
        if key == "labels":
            top = Counter(value).most_common(LABELS_SHOWN)
            more = f" (+{len(value) - len(top)} more)" if len(value) > len(top) else ""
            typer.echo(f"labels: {', '.join(f'{label}={n}' for label, n in top)}{more}")
        elif key == "sample":
            for item in value:
                typer.echo(f"sample: {json.dumps(item, ensure_ascii=False)}")
        else:
            typer.echo(f"{key}: {value}")


def _reading_plan(file: Path, task: str | None, fmt: str | None) -> tuple[str, list[str] | None, dict]:
    """(format, labels, reader options): from --format, else the task's spec, else detection."""
    if fmt is not None:
        return fmt, None, {}
    if task is None:
        return detect_format(file), None, {}
    spec = get_task(task)
    task_format = spec.format_for(file)
    # Options are taken from the spec only when every source of that format agrees on them.
    option_sets = [s.options for sources in spec.splits.values() for s in sources if s.format == task_format]
    options = option_sets[0] if all(o == option_sets[0] for o in option_sets) else {}
    return task_format, spec.labels, dict(options)


def inspect_command(
    file: Path = typer.Argument(..., help="The data file (for BUCC: the prefix, e.g. zh-en.dev)."),
    task: Optional[str] = typer.Option(None, "--task", help="Read with this task's format and labels."),
    fmt: Optional[str] = typer.Option(None, "--format", help="Reader format (see xstilts.data.readers)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Read FILE and print its example count, format, label distribution and a sample."""
    reader_format, labels, options = _reading_plan(file, task, fmt)
    summary = summarize(file, reader_format, read(reader_format, file, labels=labels, **options))
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        _print_summary(summary)


def download_command(
    tasks: Optional[list[str]] = typer.Option(None, "--tasks", help="Tasks to fetch, comma-separated or repeated (e.g. pawsx,xnli,mnli)."),
    for_config: Optional[Path] = typer.Option(None, "--for-config", help="Fetch every task this run config reads (its intermediate task, targets and the tasks their splits name); tasks without a hub entry are listed, not fetched."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder to write the data dir layout into (default with --for-config: the config's data_dir)."),
    splits: Optional[str] = typer.Option(None, "--splits", help="Only these of our split names, comma-separated (e.g. dev,test); default: every split the hub serves."),
    languages: Optional[str] = typer.Option(None, "--languages", help="Only these languages, comma-separated (e.g. en,de); default: all."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List each file, its hub source and whether it would be fetched or kept; load nothing."),
) -> None:
    """Write tasks' splits from the Hugging Face hub as the files data_dir expects, with MANIFEST.tsv.

    Every split and language a task's spec maps to the hub is loaded through `datasets` (cached in
    $HF_DATASETS_CACHE; $XSTILTS_HUB_MIRROR=<dir> reads <dir>/<owner>/<name>), written at the
    spec's file path and format (target/pawsx/dev-de.tsv), checked to read back to the same
    examples, and recorded in <out>/MANIFEST.tsv. Files whose MANIFEST row still matches are
    kept: run it again to resume.
    """
    from xstilts.data.download import describe, download, plan, tasks_for_config
    from xstilts.errors import ConfigError

    names = [name.strip() for value in tasks or [] for name in value.split(",") if name.strip()]
    if for_config is not None:
        wanted = tasks_for_config(for_config)
        hubless = [name for name in wanted if get_task(name).hub is None]
        if hubless:  # CCGbank is licence-restricted; stand-ins and ANLI+ are built from other tasks' files
            typer.echo(f"not on the hub, bring their files: {', '.join(hubless)}")
        names += [name for name in wanted if name not in hubless]
        if out is None:
            from xstilts.config import load_config

            out = load_config(for_config).resolved_data_dir()
    if not names:
        raise ConfigError("--tasks", "name the tasks to fetch (--tasks pawsx,xnli) or a run config (--for-config CONFIG)")
    if out is None:
        raise ConfigError("--out", "name the folder to write into (--out DIR)")
    planned = plan(list(dict.fromkeys(names)), _listed(splits), _listed(languages))
    if dry_run:
        lines = describe(planned, out)
        typer.echo("\n".join([*lines, f"{sum(line.startswith('fetch') for line in lines)} of {len(lines)} splits to fetch into {out}"]))
        return
    rows = download(planned, out)
    typer.echo(f"{len(rows)} files in {out / 'MANIFEST.tsv'}; use it with data_dir: {out}")


def _listed(value: str | None) -> list[str] | None:
    return [item.strip() for item in value.split(",") if item.strip()] if value else None


def register(app: typer.Typer) -> None:
    data_app = typer.Typer(help="Look at data files and fetch them from the Hugging Face hub.", no_args_is_help=True)
    data_app.command("inspect")(inspect_command)
    data_app.command("download")(download_command)
    app.add_typer(data_app, name="data")
