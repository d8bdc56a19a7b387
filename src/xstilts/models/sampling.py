"""Task mixtures for multi-task training: which task supplies the next batch.

proportional: p_i = n_i / sum(n)   temperature: p_i ∝ n_i^(1/T)   uniform: p_i = 1/k
(T = 1 is proportional, T → ∞ approaches uniform; Raffel et al. 2020 call it temperature-scaled
mixing.)
"""

from __future__ import annotations

from typing import Callable, Mapping

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
