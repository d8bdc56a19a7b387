"""One side of ``benchmarks.study_phases``: the mini-study's phases, run by whichever xstilts is on
``PYTHONPATH`` (this checkout's or an older commit's worktree), in a process of its own.

    python -P benchmarks/study_phase_worker.py ENCODER_DIR DATA_DIR packed|plain

(-P: the folder of this file is not put on sys.path, where benchmarks/profile.py would shadow
the standard library module of that name.)

Uses only APIs both sides share (``train()``, ``featurize``, ``make_collate``,
``length_grouped_batches``, ``predict_pooled``) and prints one JSON line: per phase, examples per
wall second and per CPU second of this process (one thread: CPU time is what the phase itself
costs, and what other processes on a busy machine disturb least). Training phases time their
optimizer steps after a warm-up step; evaluation phases a second ``predict_pooled`` pass over a
target's languages under bf16 autocast.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

# The mini-study's phases (configs/mini-study-base.yaml): task, split, language, examples,
# max length, batch size, learning rate. Micro-batches of 8 throughout, as the study trains.
TRAINING = {
    "sst2 intermediate, batch 8": ("sst2", "train", 800, 64, 8, 3.0e-5),
    "sst2 intermediate, batch 16": ("sst2", "train", 800, 64, 16, 3.0e-5),
    "sst2 intermediate, batch 32": ("sst2", "train", 800, 64, 32, 3.0e-5),
    "pawsx target": ("pawsx", "dev", 500, 128, 16, 1.0e-4),
    "panx target": ("panx", "train", 600, 128, 16, 1.0e-4),
}
# Zero-shot evaluation of the targets: every language's first rows of the evaluated split.
EVALUATION = {"pawsx zero-shot evaluation": ("pawsx", "dev", 100, 128), "panx zero-shot evaluation": ("panx", "dev", 30, 128)}
TIMED_EXAMPLES = 64  # per training phase, after one warm-up step
MICRO_BATCH = 8


def _features(spec, data_dir: Path, split: str, language: str, rows: int, tokenizer, max_length: int):
    from xstilts.data.splits import read_split
    from xstilts.features import featurize

    examples = read_split(spec, data_dir, split, language)[:rows]
    return featurize(spec.kind, examples, tokenizer, max_length=max_length, labels=spec.labels) if examples else None


def _model(encoder_dir: Path, spec):
    from xstilts.models.encoder_io import freeze_word_embeddings, load_encoder
    from xstilts.models.task_model import build_task_model

    torch.manual_seed(0)
    model = build_task_model(load_encoder(encoder_dir), spec.kind, len(spec.labels) if spec.labels else None)
    freeze_word_embeddings(model)
    return model


def train_phase(name: str, encoder_dir: Path, data_dir: Path, tokenizer, packed: bool) -> dict:
    from xstilts.features import length_grouped_batches, make_collate
    from xstilts.tasks.registry import get_task
    from xstilts.train.loop import train
    from xstilts.train.settings import TrainSettings

    task, split, rows, max_length, batch, rate = TRAINING[name]
    spec = get_task(task)
    fs = _features(spec, data_dir, split, "en", rows, tokenizer, max_length)
    lengths = fs.lengths()
    settings = TrainSettings(
        batch_size=batch, micro_batch_size=MICRO_BATCH, learning_rate=rate, epochs=1, warmup_ratio=0.1,
        max_steps=1 + TIMED_EXAMPLES // batch, throughput_warmup_steps=1, bf16_on_cpu=True, seed=0,
        micro_batch_tokens=MICRO_BATCH * max_length if packed else None,
    )
    stamps: list[tuple[float, int]] = []  # (process CPU seconds, examples seen) at every step's end
    with tempfile.TemporaryDirectory(prefix="study-phase-") as out:
        outcome = train(_model(encoder_dir, spec), fs, make_collate(spec.kind, tokenizer.pad_token_id), settings,
                        checkpoint_dir=Path(out), batch_order=lambda epoch, micro: length_grouped_batches(
                            lengths, micro, seed=0, epoch=epoch),
                        progress=lambda report: stamps.append((time.process_time(), report.examples_seen)))
    (cpu_start, seen_start), (cpu_end, seen_end) = stamps[0], stamps[-1]  # after the warm-up step
    return {"examples_per_s": outcome.throughput.examples_per_s, "lengths": lengths,
            "examples_per_cpu_s": (seen_end - seen_start) / (cpu_end - cpu_start),
            "loss": [point.train_loss for point in outcome.curve]}


def eval_phase(name: str, encoder_dir: Path, data_dir: Path, tokenizer) -> dict:
    from xstilts.pipeline.predict import predict_pooled
    from xstilts.tasks.registry import get_task

    task, split, rows, max_length = EVALUATION[name]
    spec = get_task(task)
    sets = {lang: _features(spec, data_dir, split, lang, rows, tokenizer, max_length) for lang in spec.languages}
    sets = {lang: fs for lang, fs in sets.items() if fs is not None}  # languages without this split
    model = _model(encoder_dir, spec).eval()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        predict_pooled(model, sets, spec.labels, tokenizer.pad_token_id, 64)  # warm-up
        start, cpu_start = time.perf_counter(), time.process_time()
        predict_pooled(model, sets, spec.labels, tokenizer.pad_token_id, 64)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    rows_done = sum(fs.num_examples for fs in sets.values())
    return {"examples_per_s": rows_done / seconds, "examples_per_cpu_s": rows_done / cpu_seconds,
            "lengths": [n for fs in sets.values() for n in fs.lengths()]}


def main(encoder_dir: str, data_dir: str, packed: str) -> None:
    from transformers import AutoTokenizer

    torch.set_num_threads(1)  # as the study runs a trial: one core each
    tokenizer = AutoTokenizer.from_pretrained(encoder_dir)
    results = {name: train_phase(name, Path(encoder_dir), Path(data_dir), tokenizer, packed == "packed")
               for name in TRAINING}
    results.update({name: eval_phase(name, Path(encoder_dir), Path(data_dir), tokenizer) for name in EVALUATION})
    print(json.dumps(results))


if __name__ == "__main__":
    os.environ.setdefault("XSTILTS_PEAK_PROBE_S", "0")  # the parent probes the peak, once per figure
    main(*sys.argv[1:])
