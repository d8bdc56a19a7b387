"""Sweep specs: a base run config crossed with a grid (or a random sample of it).

    base: run.yaml                      # relative to this file
    overrides: {work_dir: runs/study}   # applied to every trial
    search: grid                        # or: random, with samples: N and seed: S
    grid:
      intermediate.task: [none, sst2]
      intermediate.train.batch_size: [8, 16]
      intermediate.train.learning_rate: [1e-5, 3e-5]
      seed: [0, 1, 2]
    resources: {num_cpus: 1, num_gpus: 0, max_retries: 3}   # per trial, for Ray
    keep_trained_models: false          # delete a trial's trained models once its scores are stored

    arms:                               # more grids of the same study (optional)
      - {intermediate.train.max_steps: [63], intermediate.train.batch_size: [8, 32], seed: [0, 1, 2]}

The trials are the union of the grid's cross product and each arm's (e.g. an epochs-fixed grid
and a fixed-steps arm). When the grid and every arm vary ``seed``, trials run seed by seed
across them, so a study stopped early leaves whole seeds behind.

Loading validates the file only; ``xstilts.sweep.trials`` turns it into trials.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from xstilts.errors import ConfigError

_DOTTED_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
Scalar = str | int | float | bool | None


class Resources(BaseModel):
    """What one trial asks of a Ray cluster, and how often a lost trial is retried."""

    model_config = ConfigDict(extra="forbid")

    num_cpus: float = Field(1, ge=0, description="CPUs reserved per trial.")
    num_gpus: float = Field(0, ge=0, description="GPUs reserved per trial (fractions share a GPU).")
    max_retries: int = Field(3, ge=0, description="Times Ray reruns a trial whose worker process died.")
    retry_exceptions: bool = Field(False, description="Also retry trials that raised (not only lost workers).")


class SweepSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base: str = Field(description="Run config the trials start from, relative to the sweep file.")
    overrides: dict[str, Scalar] = Field(default_factory=dict, description="dotted.key: value for every trial.")
    search: Literal["grid", "random"] = "grid"
    grid: dict[str, list[Scalar]] = Field(default_factory=dict, description="dotted.key: [values] to cross.")
    arms: list[dict[str, list[Scalar]]] = Field(
        default_factory=list, description="More grids of the same study (e.g. a fixed-steps arm): the sweep's trials "
        "are the union of the grid's and each arm's cross product.")
    samples: int | None = Field(None, gt=0, description="random search: how many grid points to draw.")
    seed: int | None = Field(None, ge=0, description="random search: seed of the draw.")
    resources: Resources = Field(default_factory=Resources)
    keep_trained_models: bool = Field(
        True, description="false: once a trial's scores are stored, delete its trained encoder and target models "
        "(those no unfinished trial of the sweep uses); predictions and scores stay. Saves ~1 GB per e5-small trial; "
        "rerunning such a trial outside the sweep trains them again.")

    @field_validator("overrides", "grid", "arms")
    @classmethod
    def _dotted_keys(cls, value: dict | list) -> dict | list:
        for block in _blocks(value):
            for key in block:
                if not _DOTTED_KEY.match(key):
                    raise ValueError(f"{key!r} is not a dotted config key")
        return value

    @field_validator("overrides", "grid", "arms")
    @classmethod
    def _finite_numbers(cls, value: dict | list) -> dict | list:
        for block in _blocks(value):
            for key, entry in block.items():
                for item in entry if isinstance(entry, list) else [entry]:
                    if isinstance(item, float) and not math.isfinite(item):
                        raise ValueError(f"{key}: must be a finite number (not .inf or .nan)")
        return value

    @field_validator("grid", "arms")
    @classmethod
    def _non_empty_lists(cls, grid: dict | list) -> dict | list:
        for block in _blocks(grid):
            for key, values in block.items():
                if not values:
                    raise ValueError(f"{key}: needs at least one value")
                if len({repr(v) for v in values}) != len(values):
                    raise ValueError(f"{key}: a value is listed twice")
        return grid

    @model_validator(mode="after")
    def _random_settings(self) -> "SweepSpec":
        if self.search == "random" and self.samples is None:
            raise ValueError("samples: required when search is random")
        if self.search == "grid" and (self.samples is not None or self.seed is not None):
            raise ValueError("samples/seed: only meaningful when search is random")
        return self

    def points(self) -> list[dict[str, Scalar]]:
        """The grid points to run, in grid order (all of them, or a seeded sample)."""
        blocks = [self.grid, *self.arms]
        points = [dict(zip(block, combo)) for block in blocks for combo in itertools.product(*block.values())]
        if self.search == "random":
            picked = random.Random(self.seed or 0).sample(range(len(points)), min(self.samples, len(points)))
            points = [points[i] for i in sorted(picked)]
        if len(blocks) > 1 and all("seed" in block for block in blocks):
            # Seed by seed across arms (a stable sort keeps grid order within a seed).
            order = list(dict.fromkeys(v for block in blocks for v in block["seed"]))
            points.sort(key=lambda point: order.index(point["seed"]))
        return points


def _blocks(grid: dict | list) -> list[dict]:
    """The blocks a validated field holds: one dict (grid, overrides) or a list of them (arms)."""
    return grid if isinstance(grid, list) else [grid]


@dataclass(frozen=True)
class Sweep:
    path: Path  # the sweep file
    base: Path  # the run config, resolved against the sweep file's folder
    spec: SweepSpec


def _location(loc: tuple) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else str(p) for p in loc]
    return ".".join(parts).replace(".[", "[") or "<root>"


def _validation_error(err: ValidationError, source: str) -> ConfigError:
    first = err.errors()[0]
    loc = tuple(first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    # Model-level checks name their key in the message ("samples: required ...").
    if not loc and ":" in message:
        key, _, message = message.partition(":")
        return ConfigError(key.strip(), message.strip(), source=source)
    return ConfigError(_location(loc), message, source=source)


def _read_yaml(path: Path) -> Any:
    from xstilts.config import _unshared, read_yaml_file

    data = read_yaml_file(path, key="<root>")
    # Bounded like a run config: a sweep file's aliases may not expand without limit either.
    return _unshared(data, str(path))


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file. Any problem is a ConfigError naming the key."""
    path = Path(path)
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError("<root>", "a sweep file is a mapping with at least 'base'", source=str(path))
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as err:
        raise _validation_error(err, str(path)) from None
    base = (path.parent / spec.base).resolve()
    if not base.is_file():
        raise ConfigError("base", f"run config '{spec.base}' does not exist (looked at {base})", source=str(path))
    return Sweep(path=path.resolve(), base=base, spec=spec)
