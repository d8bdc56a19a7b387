"""The task registry: every spec under ``tasks/specs`` (plus any extra spec dirs), by name."""

from __future__ import annotations

import contextlib
import os
from functools import lru_cache
from typing import Iterator
from pathlib import Path

from xstilts.errors import ConfigError
from xstilts.tasks.spec import TaskSpec, load_spec

SPEC_DIR = Path(__file__).parent / "specs"
# Users add tasks without touching the package: a colon-separated list of folders of YAML specs.
EXTRA_SPECS_ENV = "XSTILTS_TASK_SPECS"


def _spec_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get(EXTRA_SPECS_ENV, "").split(os.pathsep) if p]
    return [SPEC_DIR, *extra]


@lru_cache(maxsize=8)
def _load_all(dirs: tuple[Path, ...], stamp: tuple) -> dict[str, TaskSpec]:
    # Keyed by every spec file's size and mtime: an edited spec is seen at once (its hash is in
    # the content keys of the phases that use it), an unchanged set is parsed once.
    tasks: dict[str, TaskSpec] = {}
    for folder in dirs:
        for path in sorted(folder.glob("*.yaml")):
            spec = load_spec(path)
            if spec.name in tasks:
                raise ConfigError("name", f"task {spec.name!r} is defined twice", source=str(path))
            tasks[spec.name] = spec
    return tasks


def _stamp(dirs: list[Path]) -> tuple:
    files = [path for folder in dirs for path in sorted(folder.glob("*.yaml"))]
    return tuple((str(path), path.stat().st_size, path.stat().st_mtime_ns) for path in files)


_snapshot: list[dict[str, TaskSpec]] = []  # set inside `one_snapshot()`


@contextlib.contextmanager
def one_snapshot() -> Iterator[None]:
    """Inside the block every lookup uses the specs as they were on entry: building one trial's
    graph looks tasks up thousands of times, and re-listing and stat-ing every spec file each
    time was most of a sweep plan's time. Specs edited later are seen by the next block."""
    _snapshot.append(all_tasks())
    try:
        yield
    finally:
        _snapshot.pop()


def all_tasks() -> dict[str, TaskSpec]:
    if _snapshot:
        return _snapshot[-1]
    dirs = _spec_dirs()
    return _load_all(tuple(dirs), _stamp(dirs))


def get_task(name: str) -> TaskSpec:
    tasks = all_tasks()
    if name not in tasks:
        raise ConfigError("task", f"unknown task {name!r}; known: {', '.join(sorted(tasks))}")
    return tasks[name]
