"""The task registry: every spec under ``tasks/specs`` (plus any extra spec dirs), by name."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from xstilts.errors import ConfigError
from xstilts.tasks.spec import TaskSpec, load_spec

SPEC_DIR = Path(__file__).parent / "specs"
# Users add tasks without touching the package: a colon-separated list of folders of YAML specs.
EXTRA_SPECS_ENV = "XSTILTS_TASK_SPECS"


def _spec_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get(EXTRA_SPECS_ENV, "").split(os.pathsep) if p]
    return [SPEC_DIR, *extra]


@lru_cache(maxsize=None)
def _load_all(dirs: tuple[Path, ...]) -> dict[str, TaskSpec]:
    tasks: dict[str, TaskSpec] = {}
    for folder in dirs:
        for path in sorted(folder.glob("*.yaml")):
            spec = load_spec(path)
            if spec.name in tasks:
                raise ConfigError("name", f"task {spec.name!r} is defined twice", source=str(path))
            tasks[spec.name] = spec
    return tasks


def all_tasks() -> dict[str, TaskSpec]:
    return _load_all(tuple(_spec_dirs()))


def get_task(name: str) -> TaskSpec:
    tasks = all_tasks()
    if name not in tasks:
        raise ConfigError("task", f"unknown task {name!r}; known: {', '.join(sorted(tasks))}")
    return tasks[name]


def target_tasks() -> list[TaskSpec]:
    return [t for t in all_tasks().values() if t.role == "target"]


def intermediate_tasks() -> list[TaskSpec]:
    return [t for t in all_tasks().values() if t.role == "intermediate"]
