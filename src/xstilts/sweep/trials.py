"""Turn a sweep into trials: resolve each grid point, name it, drop duplicates.

A trial's id is a short hash of its resolved config, less where things live (data, work and
store paths, trackers), and of its phases' content keys (data content, model files, code
version): the same study run from a moved or cloned folder keeps its ids, and a trial whose
data, model or phase code changed is a new trial, never a finished one. The baseline (``intermediate.task:
none``) has no intermediate phase, so intermediate hyperparameters are dropped from its grid
point before resolving: the batch x learning-rate grid collapses to one baseline per seed.
Trials whose phases have the same content addresses are the same computation and are kept
once (the first in grid order).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import yaml

from xstilts.errors import ConfigError
from xstilts.sweep.adapter import Pipeline
from xstilts.sweep.spec import Scalar, Sweep

BASELINE_TASK = "none"
INTERMEDIATE_TASK_KEY = "intermediate.task"
# Where the study's variables live in a resolved run config.
PARAM_KEYS = {
    "intermediate_task": "intermediate.task",
    "batch_size": "intermediate.train.batch_size",
    "learning_rate": "intermediate.train.learning_rate",
    "seed": "seed",
    # Set only in a fixed-steps arm: batch size then changes examples seen, not updates.
    "max_steps": "intermediate.train.max_steps",
}
BASELINE_IRRELEVANT = ("batch_size", "learning_rate", "max_steps")
TARGET_PREFIX = "targets."
TRIAL_ID_LENGTH = 12


@dataclass(frozen=True)
class Trial:
    trial_id: str
    overrides: tuple[str, ...]  # dotted.key=value: the sweep's overrides, then the grid point
    params: dict[str, Any]  # what the store keeps about the trial (see trial_params)
    phases: tuple[Any, ...]  # the pipeline's PhasePlans, in run order
    config: Any = field(repr=False, compare=False, default=None)  # driver side only

    @property
    def phase_keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.phases)


def format_override(key: str, value: Scalar) -> str:
    """``key=value`` that the config loader parses back to the value YAML gave the sweep file.

    Strings stay bare when they read back as themselves, else they are quoted (``'no'`` would
    read as false, ``'results #2.sqlite'`` as ``results``); numbers, booleans and null as JSON,
    non-finite floats as YAML's ``.inf``/``.nan`` (JSON's ``Infinity`` would read as a string).
    """
    if isinstance(value, str):
        return f"{key}={value if _reads_back(value) else json.dumps(value)}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{key}={'.nan' if math.isnan(value) else ('.inf' if value > 0 else '-.inf')}"
    return f"{key}={json.dumps(value)}"


def _reads_back(text: str) -> bool:
    from xstilts.config import parse_value

    try:
        return text != "" and text == text.strip() and parse_value(text) == text
    except yaml.YAMLError:
        return False


def readable_override(key: str, value: Scalar) -> str:
    """``key=value`` for people (the store's ``target_settings``): strings always bare."""
    return f"{key}={value if isinstance(value, str) else json.dumps(value)}"


def dotted_get(tree: dict[str, Any], dotted: str) -> Any:
    node: Any = tree
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def config_tree(config: Any) -> dict[str, Any]:
    return config.model_dump(mode="json")


# Where a trial's inputs and outputs live, not what it computes: what the paths hold is in the
# phase keys. Trackers only copy results elsewhere. (pydantic's ``exclude`` form.)
LOCATION_FIELDS = {"data_dir": True, "work_dir": True, "store": True, "report_to": True, "model": {"cache_dir": True}}


def trial_id_of(config: Any, phase_keys: Sequence[str]) -> str:
    """The trial's id: its settings wherever they run, and its phases' content keys.

    Settings at their defaults are left out, so a version of xstilts that adds a setting keeps the
    ids of finished trials; whatever changes a phase's output changes its content key anyway."""
    settings = config.model_dump(mode="json", exclude=LOCATION_FIELDS, exclude_defaults=True)
    canonical = json.dumps({"settings": settings, "phases": list(phase_keys)}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:TRIAL_ID_LENGTH]


def target_settings_key(overrides: dict[str, Scalar]) -> str:
    """A readable key of the target-phase settings this trial changes ("default": none)."""
    parts = [readable_override(k, v) for k, v in sorted(overrides.items()) if k.startswith(TARGET_PREFIX)]
    return ";".join(parts) or "default"


def trial_params(config: Any, overrides: dict[str, Scalar], point: dict[str, Scalar]) -> dict[str, Any]:
    """The study's variables from the resolved config, plus the grid point that produced it."""
    tree = config_tree(config)
    params = {name: dotted_get(tree, key) for name, key in PARAM_KEYS.items()}
    if params["intermediate_task"] == BASELINE_TASK:
        params.update(dict.fromkeys(BASELINE_IRRELEVANT))
    params["target_settings"] = target_settings_key({**overrides, **point})
    params["grid"] = dict(point)
    return params


def _without_intermediate_settings(point: dict[str, Scalar]) -> dict[str, Scalar]:
    return {k: v for k, v in point.items() if k == INTERMEDIATE_TASK_KEY or not k.startswith("intermediate.")}


def resolve_point(sweep: Sweep, pipeline: Pipeline, point: dict[str, Scalar]) -> Trial:
    fixed = sweep.spec.overrides
    config = _load(sweep, pipeline, fixed, point)
    if dotted_get(config_tree(config), INTERMEDIATE_TASK_KEY) == BASELINE_TASK:
        point = _without_intermediate_settings(point)
        config = _load(sweep, pipeline, fixed, point)
    phases = tuple(pipeline.plan_trial(config))
    return Trial(
        trial_id=trial_id_of(config, [phase.key for phase in phases]),
        overrides=tuple(_override_list(fixed, point)),
        params=trial_params(config, fixed, point),
        phases=phases,
        config=config,
    )


def _load(sweep: Sweep, pipeline: Pipeline, fixed: dict[str, Scalar], point: dict[str, Scalar]) -> Any:
    """The trial's config; a bad value the sweep file set is blamed on the sweep file and key."""
    try:
        return pipeline.load_config(sweep.base, _override_list(fixed, point))
    except ConfigError as err:
        section = _sweep_section(err.key, fixed, point)
        if section is None:
            raise
        value = point.get(err.key, fixed.get(err.key))
        message = f"{err.message} (the sweep's {section} gives {value!r}; base config {sweep.base})"
        raise ConfigError(err.key, message, source=str(sweep.path)) from None


def _sweep_section(key: str, fixed: dict[str, Scalar], point: dict[str, Scalar]) -> str | None:
    if key in point:
        return "grid"
    return "overrides" if key in fixed else None


def _override_list(*layers: dict[str, Scalar]) -> list[str]:
    return [format_override(k, v) for layer in layers for k, v in layer.items()]


def expand_sweep(sweep: Sweep, pipeline: Pipeline) -> list[Trial]:
    """Every distinct trial of the sweep, in grid order."""
    trials: list[Trial] = []
    seen_ids: set[str] = set()
    seen_phases: set[tuple[str, ...]] = set()
    for point in sweep.spec.points() or [{}]:
        trial = resolve_point(sweep, pipeline, point)
        if trial.trial_id in seen_ids or (trial.phases and trial.phase_keys in seen_phases):
            continue
        seen_ids.add(trial.trial_id)
        seen_phases.add(trial.phase_keys)
        trials.append(trial)
    return trials
