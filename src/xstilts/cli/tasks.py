"""``xstilts tasks``: every task with its kind, languages and the examples found locally."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from xstilts.cli.common import DATA_DIR_HELP, resolve_data_dir
from xstilts.data.counts import CountCache, file_key
from xstilts.errors import ConfigError
from xstilts.tasks.registry import all_tasks
from xstilts.tasks.spec import TaskSpec


def _file_count(spec: TaskSpec, path: Path, source, cache: CountCache | None) -> int:
    from xstilts.data.readers import read

    retrieval = spec.kind == "retrieval"
    labels = None if retrieval else spec.labels

    def compute() -> int:
        return len(read(source.format, path, labels=labels, **source.options))

    if cache is None:
        return compute()
    options = {"options": source.options, "labels": labels}
    return cache.count(file_key(path, source.format, options, bitext=retrieval), compute)


def local_counts(spec: TaskSpec, data_dir: Path, cache: CountCache | None = None) -> dict[str, dict[str, int]]:
    """{split: {lang: examples}} for the files present under data_dir (counts cached per file)."""
    counts: dict[str, dict[str, int]] = {}
    for split in spec.splits:
        for lang in spec.split_languages(split):
            files = spec.files(data_dir, split, lang)
            if spec.kind == "retrieval":
                files = files[:1]  # a bitext is read from its first file; the rest are its siblings
            if files:
                counts.setdefault(split, {})[lang] = sum(_file_count(spec, path, source, cache) for path, source in files)
    return counts


def looked_for(spec: TaskSpec, data_dir: Path) -> list[str]:
    """Where each split's files would be ({lang}/{code} stand for every language)."""
    return [str(data_dir / source.pattern) for sources in spec.splits.values() for source in sources]


def _print_task(spec: TaskSpec, counts: dict[str, dict[str, int]], data_dir: Path) -> None:
    where = f"{spec.role}/{spec.group}" if spec.group else spec.role
    stand_in = f" (stand-in for {spec.stand_in_for})" if spec.stand_in_for else ""
    typer.echo(f"{spec.name:<20} {spec.kind:<20} {len(spec.languages):>2} langs  {where}{stand_in}")
    if not counts:
        typer.echo(f"    (no local files; looked for {', '.join(looked_for(spec, data_dir))})")
    for split, by_lang in counts.items():
        total = sum(by_lang.values())
        detail = " ".join(f"{lang}={n}" for lang, n in by_lang.items())
        typer.echo(f"    {split}: {total} examples in {len(by_lang)} langs: {detail}")


def _data_dir(data_dir: Path | None, config: Path | None) -> Path:
    if config is None:
        return resolve_data_dir(data_dir)
    if data_dir is not None:
        raise ConfigError("--config", "give --data-dir or --config, not both")
    from xstilts.config import load_config

    return resolve_data_dir(load_config(config).resolved_data_dir(), key="data_dir")


def tasks_command(
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
    config: Optional[Path] = typer.Option(None, "--config", help="Use this run config's data_dir, resolved "
                                          "against the config file's folder as `xstilts run` does."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON object instead of a table."),
    role: Optional[str] = typer.Option(None, help="Only 'target' or 'intermediate' tasks."),
) -> None:
    """List every task with its kind, languages, and examples found locally per split and language.

    Counts are cached per file (keyed by path, size and modification time) under the cache dir,
    so only the first call, or one after the data changed, reads the files.
    """
    if role not in (None, "target", "intermediate"):
        raise ConfigError("--role", f"unknown role {role!r}; use 'target' or 'intermediate'")
    folder = _data_dir(data_dir, config)
    cache = CountCache()
    report = {}
    for spec in all_tasks().values():
        if role and spec.role != role:
            continue
        before = cache.misses
        # A first call reads every file (a minute for the pack): say so rather than sit silent.
        cache.on_miss = lambda _, name=spec.name, before=before: before == cache.misses and print(
            f"counting {name} examples (cached for the next call) ...", file=sys.stderr, flush=True)
        counts = local_counts(spec, folder, cache)
        if cache.misses > before:
            cache.save()  # after each task, so an interrupted first call keeps what it counted
        report[spec.name] = {"kind": spec.kind, "role": spec.role, "languages": spec.languages, "counts": counts,
                             **({} if counts else {"looked_for": looked_for(spec, folder)})}
        if not as_json:
            _print_task(spec, counts, folder)
    if as_json:
        typer.echo(json.dumps(report, indent=1))


def register(app: typer.Typer) -> None:
    app.command("tasks")(tasks_command)
