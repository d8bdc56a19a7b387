"""Throughput that means the same on a slow day: examples/s scaled to a reference machine speed.

Raw examples/s from different days are not comparable on a shared machine: the full study's
seed 2 ran at 26 examples/s against 44-45 for the same settings, because the machine was busy.
Every training phase probes the machine's matmul speed when it starts and when it ends
(``xstilts.train.peak``); the mean of the two, ``probe_peak``, is how fast the machine was for
that phase. Scaling by it gives examples/s *at the reference speed*:

    examples_per_s_at_reference = examples_per_s × reference_peak / probe_peak

with the reference the median probe over the rows given (or a stated value), so a trial that
ran at half the machine speed counts at twice its raw rate. This assumes a phase slows in
proportion to its matmuls, which holds for compute-bound training and is only approximate when
a phase is bound by other work (see BENCHMARKS.md's profile); MFU (model FLOP/s over the probe)
makes the same correction and is kept beside it. Rows without a probe (stores written before
probing existed, phases with a given ``peak_flops``) get NaN, never their raw rate, so a mix
of corrected and uncorrected rates cannot slip into one correlation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PROBE_COLUMNS = ("peak_flops_start", "peak_flops_end")
NORMALISED_SUFFIX = "_at_reference"


def probe_peak(frame: pd.DataFrame) -> pd.Series:
    """Each row's machine speed: the mean of its positive probes (NaN when it has none)."""
    probes = pd.DataFrame({c: pd.to_numeric(frame[c], errors="coerce") if c in frame else np.nan
                           for c in PROBE_COLUMNS}, index=frame.index)
    return probes.where(probes > 0).mean(axis=1, skipna=True)


def reference_peak(frame: pd.DataFrame) -> float | None:
    """The median machine speed over the rows that were probed; None if none were."""
    peaks = probe_peak(frame).dropna()
    return float(peaks.median()) if len(peaks) else None


def normalised_throughput(frame: pd.DataFrame, columns: tuple[str, ...] = ("examples_per_s", "real_tokens_per_s"),
                          reference: float | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with ``probe_peak`` and, for each rate column, ``<column>_at_reference``.

    ``reference`` defaults to the median probe of ``frame``; pass one value to compare frames.
    """
    if reference is not None and not reference > 0:
        raise ValueError(f"reference peak must be a positive FLOP/s, got {reference!r}")
    out = frame.copy()
    out["probe_peak"] = probe_peak(frame)
    reference = reference if reference is not None else reference_peak(frame)
    for column in columns:
        rate = pd.to_numeric(out[column], errors="coerce")
        out[column + NORMALISED_SUFFIX] = rate * reference / out["probe_peak"] if reference else np.nan
    return out
