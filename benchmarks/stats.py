"""Figures and their summaries: paired ratios, median with min-max spread, targets.

A figure compares two things measured side by side. Each repetition yields one ratio from the
two measurements taken in that repetition (not a ratio of two independent medians), so a burst
of load from another process shifts both sides of the same ratio instead of one side's median.
"""

from __future__ import annotations

import operator
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

MIN_REPETITIONS = 5


@dataclass(frozen=True)
class Spread:
    median: float
    low: float
    high: float
    samples: tuple[float, ...]


def summarize(samples: Sequence[float]) -> Spread:
    """Median, min and max of repeated measurements."""
    if not samples:
        raise ValueError("no samples to summarize")
    values = tuple(float(value) for value in samples)
    return Spread(statistics.median(values), min(values), max(values), values)


def paired_ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Ratio of each repetition's two measurements."""
    if len(numerators) != len(denominators):
        raise ValueError(f"unpaired measurements: {len(numerators)} vs {len(denominators)}")
    if any(value <= 0 for value in denominators):
        raise ValueError("a denominator is not positive: nothing was measured")
    return [top / bottom for top, bottom in zip(numerators, denominators, strict=True)]


def rate_between(timestamps: Sequence[float], first: int, last: int, amount: float) -> float:
    """``amount`` per second between ``timestamps[first]`` and ``timestamps[last]``.

    Timestamps are taken at the end of each step, so ``first`` is the last warm-up step and the
    window covers steps ``first + 1`` to ``last``.
    """
    if not 0 <= first < last < len(timestamps):
        raise ValueError(f"window {first}..{last} does not fit {len(timestamps)} timestamps")
    seconds = timestamps[last] - timestamps[first]
    if seconds <= 0:
        raise ValueError("clock did not advance over the timed window")
    return amount / seconds


COMPARATORS: dict[str, Callable[[float, float], bool]] = {">=": operator.ge, "<=": operator.le}
SYMBOLS = {">=": "≥", "<=": "≤"}


@dataclass(frozen=True)
class Target:
    op: str  # a COMPARATORS key
    bound: float
    label: str | None = None  # shown instead of the bound (e.g. "1/T = 0.333")

    def __post_init__(self) -> None:
        if self.op not in COMPARATORS:
            raise ValueError(f"unknown comparison {self.op!r}; known: {sorted(COMPARATORS)}")

    def met_by(self, value: float) -> bool:
        return COMPARATORS[self.op](value, self.bound)


@dataclass(frozen=True)
class FigureResult:
    """One row of BENCHMARKS.md. ``unit`` is a key of report.FORMATTERS."""

    name: str
    spread: Spread
    unit: str
    target: Target | None
    setup: str  # what was measured, on what, how: enough to reproduce and to judge fairness
    details: dict = field(default_factory=dict)  # raw numbers for the console, not the table
    mfu: dict[str, float] = field(default_factory=dict)  # side -> model FLOPs utilisation (benchmarks.mfu)

    @property
    def verdict(self) -> str:
        """pass/fail on the median; "info" for figures without a target."""
        if self.target is None:
            return "info"
        return "pass" if self.target.met_by(self.spread.median) else "fail"
