"""Typed records that flow from a trial (pipeline) to the driver (store, analysis).

Workers return these; only the driver writes them to the store. Plain dataclasses so they
serialise to JSON (``asdict``) across processes and Ray without pickle-only types.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Throughput:
    """Measured over the timed part of a training phase (warm-up steps excluded)."""

    examples_per_s: float
    real_tokens_per_s: float  # non-pad tokens
    padded_tokens_per_s: float  # tokens including padding: what the device actually computed
    steps_per_s: float  # optimizer steps
    wall_s: float  # whole phase, warm-up included
    peak_memory_bytes: int  # RSS on CPU, max allocated on GPU
    flops: float  # model FLOPs of the timed part: real tokens, 6N + attention (xstilts.train.flops)
    mfu: float | None  # flops_per_s / peak (the peak_flops setting, else the mean of the two probes)
    examples: int  # examples trained in the whole phase
    steps: int  # optimizer steps in the whole phase
    # Defaults keep records written before these fields readable.
    flops_per_s: float | None = None  # model FLOP/s over the timed part
    peak_flops_start: float | None = None  # matmul probe (FLOP/s, phase precision/threads) at the phase's start
    peak_flops_end: float | None = None  # the same probe at its end


@dataclass
class PhaseRecord:
    key: str  # content address of the phase output
    phase: str  # "intermediate" | "target" | "zero_shot"
    task: str
    computed: bool  # False when the artifact already existed and was reused
    status: str  # "done" | "failed" | "diverged"
    seconds: float
    throughput: Throughput | None = None
    estimate_s: float | None = None  # the planner's estimate, kept beside the actual time
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class ScoreRow:
    target_task: str
    language: str
    metric: str  # the task-score metric name, e.g. "accuracy", "f1", "em_f1"
    value: float  # 0-100, as XTREME reports
    selection: str = "english_dev"  # or "target_dev" (the oracle of Keung et al. 2020)
    # Bootstrap standard error of value over the evaluated examples (metrics.sampling); None
    # where the metric has none (BUCC) or the score predates it.
    sampling_se: float | None = None


@dataclass
class CurvePoint:
    phase_key: str
    step: int
    train_loss: float | None
    dev_score: float | None


@dataclass
class TrialResult:
    trial_id: str
    params: dict[str, Any]  # intermediate_task ("none" = baseline), batch_size, learning_rate, seed, ...
    status: str  # "done" | "failed" | "diverged"
    phases: list[PhaseRecord] = field(default_factory=list)
    scores: list[ScoreRow] = field(default_factory=list)
    curves: list[CurvePoint] = field(default_factory=list)
    predictions_dir: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrialResult":
        phases = [
            PhaseRecord(**{**p, "throughput": Throughput(**p["throughput"]) if p.get("throughput") else None})
            for p in data.get("phases", [])
        ]
        return cls(
            trial_id=data["trial_id"],
            params=dict(data["params"]),
            status=data["status"],
            phases=phases,
            scores=[ScoreRow(**s) for s in data.get("scores", [])],
            curves=[CurvePoint(**c) for c in data.get("curves", [])],
            predictions_dir=data.get("predictions_dir"),
            error=data.get("error"),
        )
