"""AdamW with decoupled weight decay on matrices only, and a linear warm-up/decay schedule."""

from __future__ import annotations

import math

import torch
from transformers import get_linear_schedule_with_warmup

from xstilts.train.settings import TrainSettings


def parameter_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    """Two AdamW groups: decayed matrices, and undecayed vectors.

    In transformer models the 1-D parameters are exactly the biases and the normalisation gains
    and shifts (LayerNorm, RMSNorm, ...), which decay would only pull towards zero for no
    regularising benefit. Using the rank rather than module types also covers custom norm classes.
    """
    decayed, undecayed = [], []
    for parameter in model.parameters():
        if parameter.requires_grad:
            (decayed if parameter.ndim >= 2 else undecayed).append(parameter)
    return [
        {"params": decayed, "weight_decay": weight_decay},
        {"params": undecayed, "weight_decay": 0.0},
    ]


def build_optimizer(model: torch.nn.Module, settings: TrainSettings) -> torch.optim.AdamW:
    # fused: on CPU the default AdamW updates one tensor at a time, which the benchmark measured
    # at ~0.1 s per step for e5-small; the fused kernel is ~3x faster (and used by HF Trainer).
    return torch.optim.AdamW(parameter_groups(model, settings.weight_decay), lr=settings.learning_rate, fused=True)


def warmup_steps(settings: TrainSettings, total_steps: int) -> int:
    return math.ceil(settings.warmup_ratio * total_steps)


def build_scheduler(optimizer: torch.optim.Optimizer, settings: TrainSettings, total_steps: int):
    return get_linear_schedule_with_warmup(optimizer, warmup_steps(settings, total_steps), total_steps)
