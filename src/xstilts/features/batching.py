"""Length-grouped batches: little padding, yet a random order for training.

Training: shuffle all indices, cut them into megabatches of `megabatch_size` batches, sort each
megabatch by length and cut it into batches, then shuffle the batch order. Sorting within a
large random sample makes neighbouring lengths close (little padding) while which examples meet
in a batch, and when, stays random. Evaluation: sort everything by length (order is irrelevant).

The default megabatch of 256 batches (8,192 rows at batch size 32) is what short sequences need:
on PAN-X (about 12 sub-words a sentence, where one token is 8 %) 64 batches still waste ~10 %,
256 batches ~3 %; longer sequences (PAWS-X, XNLI, XQuAD) are at 1-2 % either way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def length_grouped_batches(
    lengths: Sequence[int],
    batch_size: int,
    seed: int = 0,
    epoch: int = 0,
    shuffle: bool = True,
    megabatch_size: int = 256,
) -> list[list[int]]:
    """Index batches over `lengths`; every index appears exactly once; deterministic for
    (seed, epoch). The last batch may be smaller."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    lengths = np.asarray(lengths)
    if not shuffle:
        return _cut(_longest_first(np.arange(len(lengths)), lengths), batch_size)
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(lengths))
    span = batch_size * megabatch_size
    batches = []
    for begin in range(0, len(order), span):
        batches.extend(_cut(_longest_first(order[begin : begin + span], lengths), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def padding_stats(batches: Sequence[Sequence[int]], lengths: Sequence[int]) -> tuple[int, int]:
    """(tokens after padding each batch to its longest row, real tokens). Padding waste is
    padded / real - 1."""
    padded = sum(len(batch) * max(lengths[i] for i in batch) for batch in batches if batch)
    real = sum(lengths[i] for batch in batches for i in batch)
    return padded, real


def _longest_first(indices: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    # Stable sort on the negated length: ties keep their (shuffled or natural) order, so the
    # result is fully determined by the input order.
    return indices[np.argsort(-lengths[indices], kind="stable")]


def _cut(indices: np.ndarray, batch_size: int) -> list[list[int]]:
    return [indices[i : i + batch_size].tolist() for i in range(0, len(indices), batch_size)]
