"""Task mixtures for multi-task training: which task supplies the next batch.

proportional: p_i = n_i / sum(n)   temperature: p_i ∝ n_i^(1/T)   uniform: p_i = 1/k
(T = 1 is proportional, T → ∞ approaches uniform; Raffel et al. 2020 call it temperature-scaled
mixing.)
"""

from __future__ import annotations

from typing import Callable, Iterator, Mapping

import numpy as np

from xstilts.errors import ConfigError

MixtureWeights = Callable[[np.ndarray, float], np.ndarray]
MIXTURES: dict[str, MixtureWeights] = {
    "proportional": lambda sizes, temperature: sizes,
    "temperature": lambda sizes, temperature: sizes ** (1.0 / temperature),
    "uniform": lambda sizes, temperature: np.ones_like(sizes),
}


def mixture_probabilities(
    sizes: Mapping[str, int], method: str, temperature: float = 2.0
) -> dict[str, float]:
    """Probability of drawing each task, from dataset sizes (number of examples or batches)."""
    if method not in MIXTURES:
        raise ConfigError("multitask.sampler", f"unknown mixture '{method}'; choose one of {sorted(MIXTURES)}")
    if not temperature > 0:
        raise ConfigError("multitask.temperature", f"must be > 0, got {temperature}")
    if not sizes or min(sizes.values()) <= 0:
        raise ConfigError("multitask.tasks", f"every task needs at least one example, got {dict(sizes)}")
    weights = MIXTURES[method](np.array(list(sizes.values()), dtype=np.float64), temperature)
    return dict(zip(sizes, (weights / weights.sum()).tolist()))


class TaskSampler:
    """Endless, seeded stream of task names drawn from a mixture."""

    def __init__(self, sizes: Mapping[str, int], method: str, *, temperature: float = 2.0, seed: int = 0):
        self.probabilities = mixture_probabilities(sizes, method, temperature)
        self._names = list(self.probabilities)
        self._p = np.array(list(self.probabilities.values()))
        self._rng = np.random.default_rng(seed)

    def next_task(self) -> str:
        return self._names[self._rng.choice(len(self._names), p=self._p)]

    def __iter__(self) -> Iterator[str]:
        while True:
            yield self.next_task()
