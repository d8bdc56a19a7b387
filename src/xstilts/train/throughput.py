"""Throughput meter: the loop brackets each optimizer step with begin_step/end_step.

Rates cover the *timed* steps only: the first ``warmup_steps`` optimizer steps of every call to
``train`` (allocator warm-up, kernel selection, a resumed run's first steps) are left out, and so
is time spent between steps (evaluation, checkpointing). Collating batches is inside a step, so it
counts. A phase shorter than its warm-up is timed over all its steps rather than reported as zero.

FLOPs: ``6 x N x padded tokens`` (forward 2N + backward 4N per token, Kaplan et al. 2020), where N
counts parameters outside ``nn.Embedding`` modules (a lookup is not a matmul) and the quadratic
attention term is ignored. Padded tokens are used because the device computes the padding too,
so MFU describes how busy the hardware was; ``real_tokens_per_s`` shows what padding wastes.

Totals are plain numbers (``MeterTotals``) so a checkpoint carries them and a resumed phase keeps
adding to them.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, field
from collections.abc import Callable

import psutil
import torch

from xstilts.results import Throughput


@dataclass
class Window:
    steps: int = 0
    seconds: float = 0.0
    examples: int = 0
    real_tokens: int = 0
    padded_tokens: int = 0

    def add(self, seconds: float, examples: int, real_tokens: int, padded_tokens: int) -> None:
        self.steps += 1
        self.seconds += seconds
        self.examples += examples
        self.real_tokens += real_tokens
        self.padded_tokens += padded_tokens


@dataclass
class MeterTotals:
    timed: Window = field(default_factory=Window)  # steps after each call's warm-up
    every: Window = field(default_factory=Window)  # all steps of the phase
    wall_s: float = 0.0  # sum over calls of (end - start), warm-up and evaluations included
    peak_memory_bytes: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> MeterTotals:
        return cls(Window(**data["timed"]), Window(**data["every"]), data["wall_s"], data["peak_memory_bytes"])


def count_flop_params(model: torch.nn.Module) -> int:
    """Parameters that take part in matmuls: all of them except embedding tables."""
    embedding = {id(m.weight) for m in model.modules() if isinstance(m, torch.nn.Embedding)}
    return sum(p.numel() for p in model.parameters() if id(p) not in embedding)


def _process_rss() -> int:
    return psutil.Process().memory_info().rss


MEMORY_PROBES: dict[str, Callable[[], int]] = {
    "cuda": torch.cuda.max_memory_allocated,
    "cpu": _process_rss,
}


def memory_probe_for(device: torch.device) -> Callable[[], int]:
    return MEMORY_PROBES.get(device.type, _process_rss)


def _per_second(amount: float, seconds: float) -> float:
    # Zero only when nothing was timed at all (a phase with no steps).
    return amount / seconds if seconds > 0 else 0.0


class ThroughputMeter:
    def __init__(
        self,
        *,
        flop_params: int,
        warmup_steps: int,
        peak_flops: float | None = None,
        clock: Callable[[], float] = time.perf_counter,
        memory_probe: Callable[[], int] = _process_rss,
        carried: MeterTotals | None = None,
    ):
        self.flop_params = flop_params
        self.warmup_steps = warmup_steps
        self.peak_flops = peak_flops
        self.clock = clock
        self.memory_probe = memory_probe
        self.totals = copy.deepcopy(carried) if carried else MeterTotals()
        self._wall_before = self.totals.wall_s
        self._call_start = clock()
        self._steps_this_call = 0
        self._step_start: float | None = None

    def begin_step(self) -> None:
        self._step_start = self.clock()

    def end_step(self, examples: int, real_tokens: int, padded_tokens: int) -> None:
        if self._step_start is None:
            raise RuntimeError("end_step() without begin_step()")
        seconds = self.clock() - self._step_start
        self._step_start = None
        self.totals.every.add(seconds, examples, real_tokens, padded_tokens)
        if self._steps_this_call >= self.warmup_steps:
            self.totals.timed.add(seconds, examples, real_tokens, padded_tokens)
        self._steps_this_call += 1
        self.totals.peak_memory_bytes = max(self.totals.peak_memory_bytes, int(self.memory_probe()))

    def carry(self) -> MeterTotals:
        """Totals so far, wall time up to now included: what a checkpoint stores."""
        totals = copy.deepcopy(self.totals)
        totals.wall_s = self._wall_before + (self.clock() - self._call_start)
        return totals

    def result(self) -> Throughput:
        totals = self.carry()
        window = totals.timed if totals.timed.steps else totals.every
        flops = 6.0 * self.flop_params * window.padded_tokens
        seconds = window.seconds
        mfu = _per_second(flops, seconds) / self.peak_flops if self.peak_flops and seconds > 0 else None
        return Throughput(
            examples_per_s=_per_second(window.examples, seconds),
            real_tokens_per_s=_per_second(window.real_tokens, seconds),
            padded_tokens_per_s=_per_second(window.padded_tokens, seconds),
            steps_per_s=_per_second(window.steps, seconds),
            wall_s=totals.wall_s,
            peak_memory_bytes=totals.peak_memory_bytes,
            flops=flops,
            mfu=mfu,
            examples=totals.every.examples,
            steps=totals.every.steps,
        )
