from __future__ import annotations

import numpy as np

from xstilts.features import length_grouped_batches, padding_stats


def lengths_like_sentence_pairs(n: int = 5000, seed: int = 3) -> list[int]:
    return np.random.default_rng(seed).integers(12, 160, size=n).tolist()


def test_every_index_once_and_batches_full():
    lengths = lengths_like_sentence_pairs()
    batches = length_grouped_batches(lengths, batch_size=32, seed=1, epoch=0)
    flat = sorted(i for batch in batches for i in batch)
    assert flat == list(range(len(lengths)))
    assert sum(len(b) < 32 for b in batches) <= len(lengths) // (32 * 256) + 1


def test_deterministic_per_seed_and_epoch():
    lengths = lengths_like_sentence_pairs()
    first = length_grouped_batches(lengths, 32, seed=1, epoch=0)
    assert first == length_grouped_batches(lengths, 32, seed=1, epoch=0)
    assert first != length_grouped_batches(lengths, 32, seed=1, epoch=1)
    assert first != length_grouped_batches(lengths, 32, seed=2, epoch=0)


def test_training_order_is_random_but_padding_small():
    lengths = lengths_like_sentence_pairs()
    grouped = length_grouped_batches(lengths, 32, seed=0, epoch=0)
    padded, real = padding_stats(grouped, lengths)
    assert padded / real - 1 < 0.05
    # Batch lengths are not sorted over the epoch (order stays random).
    batch_max = [max(lengths[i] for i in b) for b in grouped]
    assert batch_max != sorted(batch_max) and batch_max != sorted(batch_max, reverse=True)
    # Unsorted batches of the same data waste far more.
    random_batches = np.array_split(np.random.default_rng(0).permutation(len(lengths)), len(grouped))
    random_padded, _ = padding_stats([b.tolist() for b in random_batches], lengths)
    assert random_padded / real - 1 > 0.4


def test_eval_batches_are_fully_sorted():
    lengths = [5, 9, 1, 7, 3, 9, 2]
    batches = length_grouped_batches(lengths, 3, shuffle=False)
    assert batches == [[1, 5, 3], [0, 4, 6], [2]]
    assert padding_stats(batches, lengths) == (3 * 9 + 3 * 5 + 1, sum(lengths))
