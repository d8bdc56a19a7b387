"""``xstilts data inspect``: read one data file and show what a pipeline would get from it."""

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


def register(app: typer.Typer) -> None:
    data_app = typer.Typer(help="Look at data files.", no_args_is_help=True)
    data_app.command("inspect")(inspect_command)
    app.add_typer(data_app, name="data")
