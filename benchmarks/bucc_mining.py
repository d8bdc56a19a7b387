"""BUCC mining at full size: XTREME's margin mining (xstilts.pipeline.mining) on random vectors.

    python -m benchmarks.bucc_mining [--rows 100000] [--width 384] [--threads 1]

Mines ``rows`` x ``rows`` random unit vectors (1 % of the target rows are planted translations
of source rows, to check the mining still finds them) and prints wall and CPU time, peak
resident memory, and the time extrapolated to the real BUCC test sets. Search cost depends only
on the shapes, so random vectors stand in for sentence embeddings, which CPU embedding of
10^5-10^6 sentences could not afford here. Memory is the point of the design: exact k-nearest
neighbours in chunks keep rows x k numbers, where the dense similarity matrix the pipeline used
before needs rows^2 floats (40 GB at 100,000 a side).

``bucc_mining_figures`` gives the same measurement at a smaller size as a benchmarks.run figure
(rate: source x target pairs scored per second, both directions counted once).
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from benchmarks.machine import cpu_model
from benchmarks.stats import FigureResult, summarize
from benchmarks.workloads import Scale
from xstilts.pipeline.mining import NEIGHBOURS, mine

# Sentences per side of BUCC 2018's test sets as XTREME evaluates them (it uses the shared
# task's training corpora as "test": google-research/xtreme issue #13), source x English. The
# counts are those quoted in xstilts issue 18; they could not be checked against the BUCC
# overview papers from this machine (its gold-pair counts are on the google/xtreme hub card).
BUCC_TEST_SIZES = {"de": (413_869, 399_337), "fr": (271_874, 369_810), "ru": (460_853, 558_401), "zh": (94_637, 88_860)}
FIGURE_ROWS = {"quick": 5_000, "full": 20_000}  # benchmarks.run sizes: seconds, not minutes
PLANTED_SHARE, PLANTED_NOISE = 0.01, 1.0  # noise norm 1: a planted pair's cosine is about 0.7


@dataclass(frozen=True)
class Measurement:
    rows: int
    width: int
    threads: int
    wall_s: float
    cpu_s: float
    rss_before_mb: float  # resident memory with the two input matrices in place
    peak_rss_mb: float  # the process' high-water mark, mining included
    candidates: int
    planted: int
    planted_found: int

    @property
    def pairs_per_s(self) -> float:
        return self.rows * self.rows / self.wall_s


def unit_vectors(rows: int, width: int, rng: np.random.Generator, block: int = 16384) -> np.ndarray:
    """float32 unit rows, drawn a block at a time so no float64 copy of the whole matrix
    exists (it would set the peak-memory mark before mining starts)."""
    out = np.empty((rows, width), dtype=np.float32)
    for start in range(0, rows, block):
        part = rng.standard_normal((min(block, rows - start), width), dtype=np.float32)
        out[start : start + len(part)] = part / np.linalg.norm(part, axis=1, keepdims=True)
    return out


def planted_problem(rows: int, width: int, seed: int) -> tuple[np.ndarray, np.ndarray, set[tuple[int, int]]]:
    rng = np.random.default_rng(seed)
    source, target = unit_vectors(rows, width, rng), unit_vectors(rows, width, rng)
    count = max(1, int(rows * PLANTED_SHARE))
    src_rows, tgt_rows = rng.permutation(rows)[:count], rng.permutation(rows)[:count]
    noisy = source[src_rows] + rng.standard_normal((count, width), dtype=np.float32) * (PLANTED_NOISE / np.sqrt(width))
    target[tgt_rows] = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
    return source, target, set(zip(src_rows.tolist(), tgt_rows.tolist()))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def current_rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def measure(rows: int, width: int, threads: int, seed: int = 0) -> Measurement:
    import faiss

    faiss.omp_set_num_threads(threads)
    source, target, planted = planted_problem(rows, width, seed)
    before = current_rss_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    mined = mine(source, target, k=NEIGHBOURS)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    found = len(planted & set(zip(mined.source.tolist(), mined.target.tolist())))
    return Measurement(rows, width, threads, wall, cpu, before, peak_rss_mb(), len(mined), len(planted), found)


def extrapolated(seconds: float, measurement: Measurement, source_rows: int, target_rows: int) -> float:
    """Seconds at another size: the two exact searches dominate and scale with source x target."""
    return seconds * source_rows * target_rows / (measurement.rows * measurement.rows)


def report(m: Measurement) -> list[str]:
    dense_gb = m.rows * m.rows * 4 / 1e9
    lines = [
        (
            f"rows {m.rows:,} x {m.rows:,}, width {m.width}, k {NEIGHBOURS}, {m.threads} faiss thread(s), "
            f"{cpu_model()}, {os.cpu_count()} cores"
        ),
        f"wall {m.wall_s:.1f} s, CPU {m.cpu_s:.1f} s, {m.pairs_per_s / 1e6:.1f} M source x target pairs/s",
        (
            f"peak RSS {m.peak_rss_mb:,.0f} MB ({m.rss_before_mb:,.0f} MB before mining, inputs included); "
            f"a dense float32 similarity matrix would be {dense_gb:,.1f} GB"
        ),
        f"{m.candidates:,} candidates; planted pairs found {m.planted_found}/{m.planted}",
    ]
    # CPU time is what the mining costs on an idle machine; wall time here includes waiting for
    # cores that other processes hold.
    for lang, (src, tgt) in BUCC_TEST_SIZES.items():
        lines.append(
            f"BUCC test {lang}-en {src:,} x {tgt:,}: ~{extrapolated(m.cpu_s, m, src, tgt) / 60:.0f} min CPU "
            f"(~{extrapolated(m.wall_s, m, src, tgt) / 60:.0f} min wall at this run's rate)"
        )
    return lines


def bucc_mining_figures(scale: Scale) -> list[FigureResult]:
    """benchmarks.run group: margin mining rate on random vectors at a size CPU runs afford."""
    rows, width, threads = FIGURE_ROWS[scale.name], 384, 1
    runs = [measure(rows, width, threads, seed=repetition) for repetition in range(scale.repetitions)]
    setup = (
        f"source x target pairs per second, XTREME margin mining (ratio margin, k={NEIGHBOURS}, both directions, "
        f"exact faiss IndexFlatIP in chunks) of {rows:,} x {rows:,} random unit vectors at width {width}, "
        f"{threads} faiss thread; median wall {np.median([r.wall_s for r in runs]):.2f} s, peak RSS "
        f"{max(r.peak_rss_mb for r in runs):,.0f} MB; planted pairs found {runs[0].planted_found}/{runs[0].planted}"
    )
    return [
        FigureResult(
            name=f"BUCC margin mining speed — random vectors {rows:,} × {rows:,}, width {width}",
            spread=summarize([r.pairs_per_s for r in runs]),
            unit="pairs/s",
            target=None,
            setup=setup,
            details={"runs": runs},
        )
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bucc_mining", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="sentences per side (default 100,000)")
    parser.add_argument("--width", type=int, default=384, help="vector width (default 384, multilingual-e5-small's)")
    parser.add_argument("--threads", type=int, default=1, help="faiss OpenMP threads (default 1)")
    args = parser.parse_args(argv)
    print(datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"), flush=True)
    for line in report(measure(args.rows, args.width, args.threads)):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
