"""A stand-in pipeline for the sweep tests, with the four functions of xstilts.sweep.adapter.

Deterministic scores (a hash of the phases a trial ran), content-addressed phase folders
under ``work_dir/phases/<key>`` with DONE.json (a finished phase is reused, never
recomputed), and "training" that appends one line per optimizer step to the phase's
``steps.log`` and resumes from its length, so tests can count steps computed, reused and
repeated. Workers import this module by name: tests put this folder on PYTHONPATH.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from xstilts.errors import ConfigError
from xstilts.io import atomic_write_text
from xstilts.results import CurvePoint, PhaseRecord, ScoreRow, Throughput, TrialResult

TASK_EXAMPLES = {"sst2": 12, "anli": 8, "xnli": 6, "pawsx": 4}
HOLD_LIMIT_S = 120.0


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Train(_Strict):
    batch_size: int = 4
    learning_rate: float = 1e-5
    epochs: int = 1
    micro_batch_size: int = 4


class Intermediate(_Strict):
    task: str = "none"
    max_length: int = 16
    train: Train = Field(default_factory=Train)


class Target(_Strict):
    languages: list[str] = Field(default_factory=lambda: ["en", "de"])
    max_length: int = 16
    train: Train = Field(default_factory=Train)


class Behaviour(_Strict):
    step_s: float = 0.0  # sleep per optimizer step, so tests can interrupt a phase
    diverge_above_lr: float | None = None  # intermediate phases with a larger LR diverge
    fail_task: str | None = None  # intermediate task whose phase raises
    crash_task: str | None = None  # intermediate task whose phase kills its own process
    hold_once: bool = False  # the first trial to reach step 1 of an intermediate phase waits to be killed


class FakeConfig(_Strict):
    work_dir: str
    seed: int = 0
    intermediate: Intermediate = Field(default_factory=Intermediate)
    targets: dict[str, Target]
    fake: Behaviour = Field(default_factory=Behaviour)


@dataclass(frozen=True)
class PhasePlan:
    key: str
    phase: str
    task: str
    done: bool
    train_examples: int
    batch_size: int
    max_length: int
    model_source: str


def _set_dotted(tree: dict, dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for part in parents:
        tree = tree.setdefault(part, {})
    tree[leaf] = value


def load_config(path: Path, overrides: Sequence[str] = ()) -> FakeConfig:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    for item in overrides:
        key, _, text = item.partition("=")
        _set_dotted(raw, key, yaml.safe_load(text))
    raw["work_dir"] = str((Path(path).parent / raw["work_dir"]).resolve())
    try:
        return FakeConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(".".join(map(str, err.errors()[0]["loc"])), err.errors()[0]["msg"]) from None


def _hash(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _phase_dir(config: FakeConfig, key: str) -> Path:
    return Path(config.work_dir) / "phases" / key


def plan_trial(config: FakeConfig) -> list[PhasePlan]:
    phases, source = [], "pretrained"
    inter = config.intermediate
    if inter.task != "none":
        key = f"intermediate-{_hash(inter.model_dump(), config.seed)}"
        phases.append(PhasePlan(key, "intermediate", inter.task, False, TASK_EXAMPLES[inter.task] * inter.train.epochs,
                                inter.train.batch_size, inter.max_length, source))
        source = key
    for name, target in sorted(config.targets.items()):
        key = f"target-{_hash(name, target.train.model_dump(), target.max_length, config.seed, source)}"
        phases.append(PhasePlan(key, "target", name, False, TASK_EXAMPLES[name] * target.train.epochs,
                                target.train.batch_size, target.max_length, source))
        zero_key = f"zero_shot-{_hash(key, target.languages)}"
        phases.append(PhasePlan(zero_key, "zero_shot", name, False, 0, 0, target.max_length, key))
    return [PhasePlan(**{**asdict(p), "done": (_phase_dir(config, p.key) / "DONE.json").exists()}) for p in phases]


def fake_step(config: FakeConfig) -> None:
    time.sleep(config.fake.step_s)


def time_phase_step(config: FakeConfig, phase_plan: PhasePlan, steps: int) -> float:
    """Really times the fake step; logs each calibration so tests can see the cache work."""
    start = time.perf_counter()
    for _ in range(steps):
        fake_step(config)
    Path(config.work_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(config.work_dir) / "calibrations.log", "a", encoding="utf-8") as log:
        log.write(f"{phase_plan.phase} {phase_plan.task} {phase_plan.batch_size}\n")
    return (time.perf_counter() - start) / steps


def _hold_if_first(config: FakeConfig) -> None:
    """The first caller records its pid and sleeps until killed; everyone else goes on."""
    work = Path(config.work_dir)
    try:
        os.close(os.open(work / "hold.claimed", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return
    atomic_write_text(work / "hold.pid", str(os.getpid()))
    time.sleep(HOLD_LIMIT_S)


def _train(config: FakeConfig, plan: PhasePlan, progress: Callable[[dict], None] | None) -> int:
    """Append one line per step to steps.log, resuming after the lines already there."""
    steps_log = _phase_dir(config, plan.key) / "steps.log"
    total = math.ceil(plan.train_examples / plan.batch_size) if plan.batch_size else 0
    first = len(steps_log.read_text().splitlines()) if steps_log.exists() else 0
    for step in range(first, total):
        if config.fake.hold_once and plan.phase == "intermediate" and step == 1:
            _hold_if_first(config)
        fake_step(config)
        with open(steps_log, "a", encoding="utf-8") as log:
            log.write(f"{step}\n")
        if progress:
            progress({"event": "step", "phase": plan.phase, "task": plan.task, "step": step + 1, "total": total})
    return total


def _phase_status(config: FakeConfig, plan: PhasePlan) -> str:
    limit = config.fake.diverge_above_lr
    lr = config.intermediate.train.learning_rate
    return "diverged" if plan.phase == "intermediate" and limit is not None and lr > limit else "done"


def _compute(config: FakeConfig, plan: PhasePlan, progress) -> PhaseRecord:
    if plan.phase == "intermediate" and plan.task == config.fake.fail_task:
        raise RuntimeError(f"fake failure in {plan.task}")
    if plan.phase == "intermediate" and plan.task == config.fake.crash_task:
        os._exit(3)
    start = time.perf_counter()
    steps = _train(config, plan, progress)
    seconds = time.perf_counter() - start
    throughput = None
    if steps:
        examples = plan.train_examples
        throughput = Throughput(examples_per_s=examples / seconds, real_tokens_per_s=examples * 10 / seconds,
                                padded_tokens_per_s=examples * plan.max_length / seconds, steps_per_s=steps / seconds,
                                wall_s=seconds, peak_memory_bytes=0, flops=0.0, mfu=None, examples=examples, steps=steps)
    meta = {"eval_examples": {lang: TASK_EXAMPLES[plan.task] for lang in config.targets[plan.task].languages}} \
        if plan.phase == "zero_shot" else {}
    return PhaseRecord(key=plan.key, phase=plan.phase, task=plan.task, computed=True,
                       status=_phase_status(config, plan), seconds=seconds, throughput=throughput, meta=meta)


def _run_phase(config: FakeConfig, plan: PhasePlan, progress) -> PhaseRecord:
    folder = _phase_dir(config, plan.key)
    marker = folder / "DONE.json"
    if marker.exists():
        record = TrialResult.from_dict({"trial_id": "", "params": {}, "status": "done",
                                        "phases": [json.loads(marker.read_text())]}).phases[0]
        record.computed = False
        return record
    folder.mkdir(parents=True, exist_ok=True)
    record = _compute(config, plan, progress)
    atomic_write_text(marker, json.dumps(asdict(record)))
    return record


def discard_phase(config: FakeConfig, plan: PhasePlan) -> None:
    """Trained phases only, like the real pipeline; each deletion is logged for the tests."""
    if plan.phase == "zero_shot":
        return
    shutil.rmtree(_phase_dir(config, plan.key), ignore_errors=True)
    with open(Path(config.work_dir) / "discarded.log", "a", encoding="utf-8") as log:
        log.write(f"{plan.key}\n")


def score_of(phase_keys: Sequence[str], language: str) -> float:
    """A deterministic stand-in for a task score (0-100)."""
    return int(_hash(list(phase_keys), language), 16) % 10_000 / 100.0


def _scores(config: FakeConfig, plans: list[PhasePlan]) -> list[ScoreRow]:
    rows = []
    for name, target in sorted(config.targets.items()):
        keys = [p.key for p in plans if p.phase == "intermediate" or p.task == name]
        rows.extend(ScoreRow(target_task=name, language=lang, metric="accuracy", value=score_of(keys, lang))
                    for lang in target.languages)
    return rows


def run_trial(config: FakeConfig, *, trial_id: str, progress: Callable[[dict], None] | None = None) -> TrialResult:
    Path(config.work_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(config.work_dir) / "attempts.log", "a", encoding="utf-8") as log:
        log.write(f"{trial_id} {os.getpid()}\n")  # one line per call, with the process running it
    plans = plan_trial(config)
    params = {"intermediate_task": config.intermediate.task, "seed": config.seed}
    records, status = [], "done"
    for plan in plans:
        records.append(_run_phase(config, plan, progress))
        if records[-1].status != "done":
            status = records[-1].status
            break
    curves = [CurvePoint(r.key, s, 1.0 / (s + 1), None) for r in records if r.computed and r.throughput
              for s in range(r.throughput.steps)]
    scores = _scores(config, plans) if status == "done" else []
    return TrialResult(trial_id=trial_id, params=params, status=status, phases=records, scores=scores, curves=curves)
