"""Run the benchmarks and append their rows to BENCHMARKS.md.

    python -m benchmarks.run [--quick] [--only NAME ...] [--threads N]

Figure groups (``--only`` takes these names): training (throughput vs HF Trainer), padding
(padding waste), zero-shot (all languages vs Trainer.predict), overhead (vs a bare loop), bf16
(xstilts' CPU bf16 autocast vs fp32), retrieval (embedding vs search, whole vs truncated encoder,
matrix product vs faiss, BUCC mining), bucc-mining (XTREME's margin mining with chunked exact kNN), sweep (intermediate-phase reuse), mfu (e5-small's model FLOPs
utilisation, training and evaluation in bf16); run only when named: attention (SDPA vs eager),
compile (torch.compile for evaluation and training), training-bf16 (throughput vs HF Trainer with
both sides under bf16 autocast, as the mini-studies train), study-phases (the mini-study's phases, this checkout vs
commit f5f6890, each in its own process). Throughput figures carry each side's MFU. A group that
raises is reported and skipped; the exit status is then 1. A missed target is a result, not an
error.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shlex
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from benchmarks.bucc_mining import bucc_mining_figures
from benchmarks.machine import describe_machine, library_versions
from benchmarks.mfu import format_mfu
from benchmarks.padding import padding_figures
from benchmarks.report import FORMATTERS, RunInfo, append_rows, format_target
from benchmarks.retrieval import retrieval_figures
from benchmarks.speedups import attention_figures, compile_figures
from benchmarks.stats import FigureResult
from benchmarks.study_phases import study_phase_figures
from benchmarks.sweep_reuse import sweep_reuse_figures
from benchmarks.training import (
    cpu_bf16_speedup,
    framework_overhead,
    training_throughput,
)
from benchmarks.utilisation import utilisation_figures
from benchmarks.workloads import REPO, SCALES, Scale
from benchmarks.zero_shot import cpu_bf16_eval_speedup, zero_shot_figures
from xstilts.train.peak import PROBE_SECONDS_ENV

FIGURES: dict[str, Callable[[Scale], list[FigureResult]]] = {
    "training": training_throughput,
    "training-bf16": lambda scale: training_throughput(scale, bf16=True),
    "padding": padding_figures,
    "zero-shot": zero_shot_figures,
    "overhead": framework_overhead,
    "bf16": lambda scale: [*cpu_bf16_speedup(scale), *cpu_bf16_eval_speedup(scale)],
    "retrieval": retrieval_figures,
    "bucc-mining": bucc_mining_figures,
    "sweep": sweep_reuse_figures,
    "mfu": utilisation_figures,
    "attention": attention_figures,
    "compile": compile_figures,
    "study-phases": study_phase_figures,
}
OPT_IN = ("attention", "compile", "study-phases", "training-bf16")  # experiments behind a default: measured on request, not every run
DEFAULT_THREADS = 2  # the same intra-op thread count for every side of every comparison


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (still 5 repetitions): ~3 min on 2 cores")
    parser.add_argument(
        "--only", nargs="+", choices=list(FIGURES), metavar="NAME", help=f"run only these: {', '.join(FIGURES)}"
    )
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="torch intra-op threads (default 2)")
    parser.add_argument("--output", type=Path, default=REPO / "BENCHMARKS.md", help="file the rows are appended to")
    return parser.parse_args(argv)


def run_info(argv: Sequence[str]) -> RunInfo:
    now = datetime.datetime.now(datetime.UTC)
    return RunInfo(
        date=now.strftime("%Y-%m-%d %H:%M UTC"),
        machine=describe_machine(),
        versions=library_versions(),
        command=shlex.join(["python", "-m", "benchmarks.run", *argv]),
    )


def show(figure: FigureResult) -> None:
    fmt, spread = FORMATTERS[figure.unit], figure.spread
    target = format_target(figure.target, figure.unit)
    print(
        f"  {figure.verdict:4}  {figure.name}: {fmt(spread.median)} "
        f"[{fmt(spread.low)} – {fmt(spread.high)}, n={len(spread.samples)}], target {target}"
    )
    if figure.mfu:
        print(f"        MFU {format_mfu(figure.mfu)}")
    print(f"        {figure.setup}")


def run_group(name: str, scale: Scale, output: Path, info: RunInfo) -> bool:
    """Run one figure group and append its rows; False if it raised."""
    start = time.perf_counter()
    print(f"[{name}] running ({scale.name})", flush=True)
    try:
        figures = FIGURES[name](scale)
    except Exception:  # one broken group must not cost the rows of the others
        traceback.print_exc()
        print(f"[{name}] FAILED after {time.perf_counter() - start:.0f} s", flush=True)
        return False
    for figure in figures:
        show(figure)
    append_rows(output, info, figures)
    print(f"[{name}] done in {time.perf_counter() - start:.0f} s; {len(figures)} rows appended to {output}", flush=True)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    # The figures probe the peak themselves, once at their start and end; train()'s own probes would
    # only add time between repetitions.
    os.environ.setdefault(PROBE_SECONDS_ENV, "0")
    import transformers

    transformers.logging.set_verbosity_error()  # load reports and Trainer notices would drown the results
    transformers.logging.disable_progress_bar()
    scale = SCALES["quick" if args.quick else "full"]
    info = run_info(argv)
    print(f"{info.machine}; {info.versions}")
    names = args.only or [name for name in FIGURES if name not in OPT_IN]
    ok = [run_group(name, scale, args.output, info) for name in dict.fromkeys(names)]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
