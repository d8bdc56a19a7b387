"""Dropout for CPU training with masks drawn as 16-bit random integers.

PyTorch's CPU dropout draws one random number per element (``bernoulli_``); in the profile of
e5-small training on this project's CPU that was ~9 % of a step, with the multiply another ~6 %
(BENCHMARKS.md, "Where e5-small's time goes"). Three 16-bit uniform integers come out of one
64-bit draw of the same seeded generator, so a mask costs a third of the draws and no float
conversion: measured 2.1 against 8.7 ms for a 16×12×96×96 mask. Each element is kept with
probability ``1 - p'`` where ``p' = round(p · 65536) / 65536`` (p = 0.1 → 0.100006) and scaled by
``1 / (1 - p')``, so the expectation is exactly the input's, as with ``torch.nn.Dropout``.
The masks are other masks than ``torch.nn.Dropout`` draws from the same seed: a training run
with them follows another, equally likely, noise path (tests/train/test_dropout.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

_LEVELS = 1 << 16  # a mask element is one uniform 16-bit integer
_LANES_PER_DRAW = 3  # random_() on int64 fills 63 bits: the low three 16-bit lanes are uniform


def _quantised(p: float) -> int:
    return round(p * _LEVELS)


def keep_mask(shape: torch.Size | tuple[int, ...], p: float, device: torch.device | None = None) -> torch.Tensor:
    """A boolean mask of ``shape``, each element True with probability ``1 - round(p·65536)/65536``."""
    count = int(torch.Size(shape).numel())
    draws = torch.empty(-(-count // _LANES_PER_DRAW), dtype=torch.int64, device=device).random_()
    lanes = draws.view(torch.int16).view(-1, 4)[:, :_LANES_PER_DRAW].reshape(-1)[:count]
    # int16 runs from -32768: keeping values >= threshold keeps 65536 - round(p·65536) of 65536.
    return lanes.view(shape) >= _quantised(p) - _LEVELS // 2


def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """``torch.nn.functional.dropout`` with a 16-bit mask; the result keeps ``x``'s dtype."""
    if not training or p <= 0.0:
        return x
    if p >= 1.0:
        return torch.zeros_like(x)
    scale = _LEVELS / (_LEVELS - _quantised(p))
    # Left to right on purpose: bf16 * bool stays bf16, and bf16 * a Python float stays bf16.
    return x * keep_mask(x.shape, p, x.device) * scale


class Dropout16(nn.Module):
    """Drop-in for ``nn.Dropout`` inside the encoder while it trains on CPU."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout(x, self.p, self.training)


def _plain_dropouts(model: nn.Module) -> list[tuple[nn.Module, str, nn.Dropout]]:
    return [(parent, name, child) for parent in model.modules() for name, child in parent.named_children()
            if type(child) is nn.Dropout and 0.0 < child.p < 1.0]


@contextlib.contextmanager
def sixteen_bit_dropout(model: nn.Module) -> Iterator[int]:
    """Every ``nn.Dropout`` of ``model`` replaced by ``Dropout16`` inside the block (yields how many).

    The originals come back on exit, so a checkpoint, an evaluation or the returned model sees the
    module tree it was given; dropout holds no parameters, so no state moves.
    """
    swapped = _plain_dropouts(model)
    for parent, name, original in swapped:
        setattr(parent, name, Dropout16(original.p))
    try:
        yield len(swapped)
    finally:
        for parent, name, original in swapped:
            setattr(parent, name, original)
