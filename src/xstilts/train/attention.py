"""Which attention kernel the encoder trains with on CPU.

With attention dropout on, PyTorch's SDPA on CPU leaves its fused kernel for the unfused math
path, which converts bf16 q/k/v to fp32 and back and multiplies in fp32; transformers' eager
attention keeps the matmuls in bf16 under autocast and draws the same dropout masks from the same
seed. Measured on this project's CPU (BENCHMARKS.md, "SDPA vs eager attention, training"): eager
trains 1.1-1.35x faster at equal losses. Evaluation has no dropout, and there the fused SDPA
kernel is the faster one, so the encoder switches back for every evaluation and at the end.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from transformers import PreTrainedModel

SDPA, EAGER = "sdpa", "eager"


def _switchable(model: torch.nn.Module) -> list[PreTrainedModel]:
    """The HF models inside ``model`` that run SDPA with attention dropout on."""
    return [
        module for module in model.modules()
        if isinstance(module, PreTrainedModel)
        and getattr(module.config, "_attn_implementation", None) == SDPA
        and getattr(module.config, "attention_probs_dropout_prob", 0.0) > 0
    ]


class TrainingAttention:
    """Eager attention while training on CPU, SDPA while evaluating and after training."""

    def __init__(self, model: torch.nn.Module, device: torch.device):
        self.encoders = _switchable(model) if device.type == "cpu" else []
        self.current = SDPA

    @contextlib.contextmanager
    def using(self, implementation: str) -> Iterator[None]:
        """``implementation`` inside the block; whatever ran before it after."""
        before = self.current
        self._set(implementation)
        try:
            yield
        finally:
            self._set(before)

    def _set(self, implementation: str) -> None:
        if implementation != self.current:
            for encoder in self.encoders:
                encoder.set_attn_implementation(implementation)
            self.current = implementation
