"""Throughput meter: the loop brackets each optimizer step with begin_step/end_step.

Rates cover the *timed* steps only: the first ``warmup_steps`` optimizer steps of every call to
``train`` (allocator warm-up, kernel selection, a resumed run's first steps) are left out, and so
is time spent between steps (evaluation, checkpointing). Collating batches is inside a step, so it
counts. A phase shorter than its warm-up is timed over all its steps rather than reported as zero.

FLOPs are model FLOPs of the real (non-pad) tokens, PaLM's accounting (``xstilts.train.flops``):
``6·N`` per token plus ``12·L·d·s`` per token for attention, N without the embedding tables.
A step's attention term takes its sequences at the step's mean length. MFU divides the
achieved model FLOP/s by a peak: the ``peak_flops`` setting when given, else the mean of two
matmul probes (``xstilts.train.peak``) taken when the phase starts and when it ends, in the
phase's precision and threads; both probes are reported, so a slow machine shows up beside a
slow phase. ``padded_tokens_per_s`` over ``real_tokens_per_s`` shows what padding costs.

Totals are plain numbers (``MeterTotals``) so a checkpoint carries them and a resumed phase keeps
adding to them; the start probe is the first call's.
"""

from __future__ import annotations

import copy
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import psutil
import torch

from xstilts.results import Throughput
from xstilts.train.flops import EncoderShape, count_flop_params, mean_token_pairs

__all__ = ["MeterTotals", "ThroughputMeter", "Window", "count_flop_params", "memory_probe_for"]


@dataclass
class Window:
    steps: int = 0
    seconds: float = 0.0
    examples: int = 0
    real_tokens: int = 0
    padded_tokens: int = 0
    token_pairs: float = 0.0  # sum of squared real sequence lengths (the attention term's factor)

    def add(self, seconds: float, examples: int, real_tokens: int, padded_tokens: int) -> None:
        self.steps += 1
        self.seconds += seconds
        self.examples += examples
        self.real_tokens += real_tokens
        self.padded_tokens += padded_tokens
        self.token_pairs += mean_token_pairs(examples, real_tokens)


@dataclass
class MeterTotals:
    timed: Window = field(default_factory=Window)  # steps after each call's warm-up
    every: Window = field(default_factory=Window)  # all steps of the phase
    wall_s: float = 0.0  # sum over calls of (end - start), warm-up and evaluations included
    peak_memory_bytes: int = 0
    peak_flops_start: float | None = None  # matmul probe when the phase first started

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> MeterTotals:
        # Checkpoints written before the probe existed lack its key (and the windows their pairs).
        return cls(Window(**data["timed"]), Window(**data["every"]), data["wall_s"], data["peak_memory_bytes"],
                   data.get("peak_flops_start"))


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
        layers: int = 0,
        hidden: int = 0,
        peak_probe: Callable[[], float | None] | None = None,
        clock: Callable[[], float] = time.perf_counter,
        memory_probe: Callable[[], int] = _process_rss,
        carried: MeterTotals | None = None,
    ):
        self.shape = EncoderShape(flop_params, layers, hidden)
        self.warmup_steps = warmup_steps
        self.peak_flops = peak_flops
        self.peak_probe = None if peak_flops else peak_probe  # a given peak is used as is
        self.clock = clock
        self.memory_probe = memory_probe
        self.totals = copy.deepcopy(carried) if carried else MeterTotals()
        if self.peak_probe is not None and self.totals.peak_flops_start is None:
            self.totals.peak_flops_start = self.peak_probe()  # before the clock starts: not in wall_s
        self._peak_end: float | None = None
        self._wall_before = self.totals.wall_s
        self._call_start = clock()
        self._steps_this_call = 0
        self._step_start: float | None = None

    @property
    def flop_params(self) -> int:
        return self.shape.params

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

    def _end_probe(self) -> float | None:
        # Once per call to train: result() may be asked again, the machine is probed once.
        if self.peak_probe is not None and self._peak_end is None:
            self._peak_end = self.peak_probe()
        return self._peak_end

    def _peak(self, start: float | None, end: float | None) -> float | None:
        if self.peak_flops:
            return self.peak_flops
        probes = [value for value in (start, end) if value]
        return statistics.fmean(probes) if probes else None

    def result(self) -> Throughput:
        totals = self.carry()
        window = totals.timed if totals.timed.steps else totals.every
        flops = self.shape.flops(window.real_tokens, window.token_pairs, training=True)
        seconds = window.seconds
        flops_per_s = _per_second(flops, seconds)
        end = self._end_probe()
        peak = self._peak(totals.peak_flops_start, end)
        return Throughput(
            examples_per_s=_per_second(window.examples, seconds),
            real_tokens_per_s=_per_second(window.real_tokens, seconds),
            padded_tokens_per_s=_per_second(window.padded_tokens, seconds),
            steps_per_s=_per_second(window.steps, seconds),
            wall_s=totals.wall_s,
            peak_memory_bytes=totals.peak_memory_bytes,
            flops=flops,
            mfu=flops_per_s / peak if peak and seconds > 0 else None,
            examples=totals.every.examples,
            steps=totals.every.steps,
            flops_per_s=flops_per_s,
            peak_flops_start=totals.peak_flops_start,
            peak_flops_end=end,
        )
