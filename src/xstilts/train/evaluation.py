"""Calling the caller's eval_fn and deciding which selection keys improved.

``eval_fn(model)`` returns named scores, higher is better (XTREME scores, 0-100). Each name in
``select_on`` keeps its own best weights, so the pipeline can report English-dev-selected scores
beside target-dev-selected ("oracle") ones; the first name drives early stopping.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import torch

from xstilts.errors import ConfigError
from xstilts.train.outcome import BestState

EvalFn = Callable[[torch.nn.Module], Mapping[str, float]]


def evaluate(eval_fn: EvalFn, model: torch.nn.Module) -> dict[str, float]:
    """Scores of the model in eval mode, without gradients; training mode is restored after."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return {name: float(value) for name, value in eval_fn(model).items()}
    finally:
        model.train(was_training)


def improved_keys(best: Mapping[str, BestState], scores: Mapping[str, float], select_on: Sequence[str]) -> list[str]:
    """Selection keys whose score beats their best so far (a non-finite score never does)."""
    missing = [key for key in select_on if key not in scores]
    if missing:
        raise ConfigError("select_on", f"eval_fn returned {sorted(scores)}, without {missing}")
    return [
        key for key in select_on if math.isfinite(scores[key]) and (key not in best or scores[key] > best[key].score)
    ]
