"""What ``train`` returns, and the curve/best records it is built from. All JSON-able."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from xstilts.results import Throughput


@dataclass
class TrainPoint:
    step: int
    train_loss: float | None  # mean loss of the steps since the previous point; None at an eval-only point
    scores: dict[str, float] | None = None  # everything eval_fn returned at this step


@dataclass
class BestState:
    """The best weights so far for one selection key (higher score is better)."""

    key: str
    step: int
    score: float
    scores: dict[str, float]  # all scores of that evaluation
    path: str  # folder holding model.safetensors and MANIFEST.json; load with checkpoint.load_weights


@dataclass
class TrainOutcome:
    status: str  # "done" | "diverged"
    steps: int  # optimizer steps of the whole phase (all calls)
    examples_seen: int
    steps_trained_this_call: int  # 0 when the phase was already finished
    curve: list[TrainPoint]
    best: dict[str, BestState]  # selection key -> best weights
    throughput: Throughput
    final_checkpoint: str  # folder of the last checkpoint (the model's final weights)
    diverged_step: int | None = None
    last_finite_loss: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainOutcome:
        return cls(
            **{
                **data,
                "curve": [TrainPoint(**point) for point in data["curve"]],
                "best": {key: BestState(**best) for key, best in data["best"].items()},
                "throughput": Throughput(**data["throughput"]),
            }
        )
