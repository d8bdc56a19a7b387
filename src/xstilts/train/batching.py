"""Which examples each optimizer step trains on, on each process.

A batch order (``batch_order(epoch, micro_batch_size) -> list of index lists``) gives the global
micro-batches of an epoch. Consecutive runs of ``accumulation x processes`` of them form one
optimizer step; process ``r`` takes every ``world``-th micro-batch of the step starting at ``r``.
The order is a pure function of (seed, epoch), so a resumed run can skip to any step, and an
out-of-memory retry can split the very same micro-batches into smaller chunks without touching
which examples make up a step.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable, Iterator

import numpy as np

BatchOrder = Callable[[int, int], list[list[int]]]

# The training subset is drawn with a fixed seed, not the trial seed: seeds then differ only in
# training randomness, not in which data they see.
SUBSET_SEED = 0


def chunk(items: list, size: int) -> list[list]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def shuffled_batch_order(n_examples: int, seed: int) -> BatchOrder:
    """Default order: a fresh permutation per epoch, derived from (seed, epoch) only."""

    def order(epoch: int, micro_batch_size: int) -> list[list[int]]:
        permutation = np.random.default_rng([seed, epoch]).permutation(n_examples)
        return chunk(permutation.tolist(), micro_batch_size)

    return order


def fixed_subset(n_examples: int, size: int) -> frozenset[int]:
    permutation = np.random.default_rng(SUBSET_SEED).permutation(n_examples)
    return frozenset(permutation[:size].tolist())


def restricted(order: BatchOrder, keep: frozenset[int]) -> BatchOrder:
    """Keep only indices in ``keep``, re-chunked; neighbours stay neighbours (length grouping survives)."""

    def order_within(epoch: int, micro_batch_size: int) -> list[list[int]]:
        kept = [index for micro in order(epoch, micro_batch_size) for index in micro if index in keep]
        return chunk(kept, micro_batch_size)

    return order_within


@dataclass(frozen=True)
class StepBatch:
    epoch: int
    index_in_epoch: int
    micro_batches: list[list[int]]  # this process's share of the step
    global_examples: int  # examples in the step over all processes


class StepPlan:
    def __init__(self, order: BatchOrder, micro_batch_size: int, accumulation: int, world_size: int, rank: int):
        self.order = order
        self.micro_batch_size = micro_batch_size
        self.group_size = accumulation * world_size
        self.world_size = world_size
        self.rank = rank

    def steps_in_epoch(self, epoch: int) -> list[list[list[int]]]:
        groups = chunk(self.order(epoch, self.micro_batch_size), self.group_size)
        # A short final group that cannot give every process a micro-batch is dropped: a process
        # without data would leave the others waiting in the gradient all-reduce.
        if groups and len(groups[-1]) < self.world_size:
            groups.pop()
        return groups

    def total_steps(self, epochs: int, max_steps: int | None) -> int:
        total = sum(len(self.steps_in_epoch(epoch)) for epoch in range(epochs))
        return min(total, max_steps) if max_steps else total

    def iterate(self, epochs: int, start_epoch: int, start_index: int) -> Iterator[StepBatch]:
        for epoch in range(start_epoch, epochs):
            groups = self.steps_in_epoch(epoch)
            first = start_index if epoch == start_epoch else 0
            for index in range(first, len(groups)):
                group = groups[index]
                yield StepBatch(
                    epoch=epoch,
                    index_in_epoch=index,
                    micro_batches=group[self.rank :: self.world_size],
                    global_examples=sum(len(micro) for micro in group),
                )
