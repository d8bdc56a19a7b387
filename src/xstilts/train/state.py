"""RunState: everything about a training phase that is not a tensor, as saved in a checkpoint.

Together with the weights, optimizer, scheduler and RNG files it is enough to continue a killed
run exactly where the checkpoint left it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from xstilts.train.outcome import BestState, TrainPoint
from xstilts.train.throughput import MeterTotals


@dataclass
class RunState:
    micro_batch_size: int  # current one: out-of-memory retries halve it
    step: int = 0  # optimizer steps done
    epoch: int = 0  # position of the *next* step
    index_in_epoch: int = 0
    examples_seen: int = 0
    status: str = "running"  # "running" | "done" | "diverged"
    curve: list[TrainPoint] = field(default_factory=list)
    loss_window: list[float] = field(default_factory=list)  # losses since the last curve point
    last_finite_loss: float | None = None
    diverged_step: int | None = None
    best: dict[str, BestState] = field(default_factory=dict)
    evals_since_improvement: int = 0
    last_eval_step: int | None = None
    meter: MeterTotals = field(default_factory=MeterTotals)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunState:
        return cls(
            **{
                **data,
                "curve": [TrainPoint(**point) for point in data["curve"]],
                "best": {key: BestState(**best) for key, best in data["best"].items()},
                "meter": MeterTotals.from_dict(data["meter"]),
            }
        )

    def record_loss(self, loss: float, log_every: int) -> None:
        self.loss_window.append(loss)
        self.last_finite_loss = loss
        if self.step % log_every == 0:
            self.flush_loss()

    def flush_loss(self) -> None:
        """Close the loss window into a curve point at the current step."""
        if not self.loss_window:
            return
        mean = sum(self.loss_window) / len(self.loss_window)
        self.loss_window = []
        self._point_at_step().train_loss = mean

    def record_scores(self, scores: dict[str, float]) -> None:
        self.last_eval_step = self.step
        self._point_at_step().scores = dict(scores)

    def _point_at_step(self) -> TrainPoint:
        if not self.curve or self.curve[-1].step != self.step:
            self.curve.append(TrainPoint(step=self.step, train_loss=None))
        return self.curve[-1]
