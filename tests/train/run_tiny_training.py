"""One tiny training phase in its own process, for the kill/resume and data-parallel tests.

Run as ``python run_tiny_training.py ...`` or under ``torchrun --nproc_per_node 2``. The main
process writes the outcome as JSON to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time

import torch

from tiny_training import TinyClassifier, collate, eval_fn_for, make_dataset, seeded, tiny_bert
from xstilts.train.settings import TrainSettings
from xstilts.train.loop import train
from xstilts.train import checkpoint as ckpt

MODELS = {
    "bert": lambda: seeded(tiny_bert),
    "tiny": lambda: seeded(TinyClassifier),
    "tiny-no-dropout": lambda: seeded(TinyClassifier, dropout=0.0),
}


def kill_on_nth_rng_capture(n: int) -> None:
    """SIGKILL this process inside the n-th checkpoint write, after its tensors are on disk."""
    calls = {"count": 0}
    capture = ckpt.capture_rng

    def capture_or_die():
        calls["count"] += 1
        if calls["count"] == n:
            os.kill(os.getpid(), signal.SIGKILL)
        return capture()

    ckpt.capture_rng = capture_or_die


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint-dir", required=True)
    parser.add_argument("--settings", required=True, help="TrainSettings as JSON")
    parser.add_argument("--model", choices=sorted(MODELS), default="tiny")
    parser.add_argument("--examples", type=int, default=48)
    parser.add_argument("--out")
    parser.add_argument("--step-sleep", type=float, default=0.0, help="seconds to pause after each step")
    parser.add_argument("--kill-in-checkpoint-write", type=int, help="SIGKILL inside the n-th checkpoint write")
    args = parser.parse_args()

    torch.set_num_threads(1)
    if args.kill_in_checkpoint_write:
        kill_on_nth_rng_capture(args.kill_in_checkpoint_write)
    settings = TrainSettings.model_validate_json(args.settings)
    outcome = train(
        MODELS[args.model](),
        make_dataset(args.examples),
        collate,
        settings,
        checkpoint_dir=args.checkpoint_dir,
        eval_fn=eval_fn_for(make_dataset(24, seed=9), make_dataset(24, seed=11)),
        select_on=("score", "target_dev"),
        progress=(lambda report: time.sleep(args.step_sleep)) if args.step_sleep else None,
    )
    if args.out and int(os.environ.get("RANK", "0")) == 0:
        with open(args.out, "w", encoding="utf-8") as handle:
            json.dump(outcome.to_dict(), handle)


if __name__ == "__main__":
    main()
