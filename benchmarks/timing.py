"""Running the two sides of a comparison: interleaved, each timed by the wall clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from benchmarks.stats import rate_between
from benchmarks.workloads import Geometry


def run_interleaved(runs: dict[str, Callable[[], Any]], repetition: int) -> dict[str, Any]:
    """Run every side once; the order flips between repetitions so neither side always goes
    first (first runs meet colder caches, and load from other processes comes in bursts)."""
    names = list(runs) if repetition % 2 == 0 else list(reversed(runs))
    return {name: runs[name]() for name in names}


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def timed_rate(stamps: list[float], geometry: Geometry, per_step: float) -> float:
    """``per_step`` units per second over the timed steps, from end-of-step timestamps."""
    if len(stamps) != geometry.total_steps:
        raise RuntimeError(f"expected {geometry.total_steps} optimizer steps, timed {len(stamps)}")
    return rate_between(stamps, geometry.warmup_steps - 1, geometry.total_steps - 1, per_step * geometry.timed_steps)
