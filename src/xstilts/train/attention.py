"""Which attention kernel and dropout the encoder trains with on CPU.

With attention dropout on, PyTorch's SDPA on CPU leaves its fused kernel for the unfused math
path, which converts bf16 q/k/v to fp32 and back and multiplies in fp32. transformers' eager
attention keeps the matmuls in bf16 under autocast but adds the fp32 padding mask to the bf16
scores, which promotes the softmax, its dropout and their backward to fp32 over the largest
tensor of the layer (batch × heads × length²). ``cpu_training_attention`` below is eager
attention with the mask in the scores' dtype (softmax accumulates in fp32 inside the kernel
either way; its output is rounded to bf16 before the next matmul in both) and 16-bit dropout
masks (train/dropout.py); the encoder's ``nn.Dropout`` modules draw the same kind of masks.
Measured on this project's CPU (BENCHMARKS.md, "CPU training kernels"). Evaluation has no
dropout, and there the fused SDPA kernel is the faster one, so the encoder switches back for
every evaluation and at the end.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from transformers import AttentionInterface, PreTrainedModel
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

from xstilts.train import dropout as dropout16

SDPA, EAGER = "sdpa", "eager"
CPU_TRAINING = "xstilts_cpu_training"


def cpu_training_attention(module: torch.nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                           attention_mask: torch.Tensor | None, scaling: float | None = None,
                           dropout: float = 0.0, **_: object) -> tuple[torch.Tensor, torch.Tensor]:
    """transformers' attention-function signature; ``attention_mask`` is SDPA's boolean mask (True = attend)."""
    scale = query.size(-1) ** -0.5 if scaling is None else scaling
    scores = torch.matmul(query, key.transpose(2, 3)) * scale
    if attention_mask is not None:
        # The dtype's most negative value, not -inf: a row with no key to attend stays finite.
        scores = scores.masked_fill(~attention_mask, torch.finfo(scores.dtype).min)
    weights = dropout16.dropout(torch.softmax(scores, dim=-1), dropout, module.training)
    return torch.matmul(weights, value).transpose(1, 2).contiguous(), weights


AttentionInterface.register(CPU_TRAINING, cpu_training_attention)
AttentionMaskInterface.register(CPU_TRAINING, sdpa_mask)


def _switchable(model: torch.nn.Module) -> list[PreTrainedModel]:
    """The HF models inside ``model`` that run SDPA with attention dropout on."""
    return [
        module for module in model.modules()
        if isinstance(module, PreTrainedModel)
        and getattr(module.config, "_attn_implementation", None) == SDPA
        and getattr(module.config, "attention_probs_dropout_prob", 0.0) > 0
    ]


def _supported(encoder: PreTrainedModel, implementation: str) -> str:
    # Models written before transformers' attention interface take no registered function:
    # they train with their own eager attention and torch's dropout.
    if implementation == CPU_TRAINING and not type(encoder)._supports_attention_backend:
        return EAGER
    return implementation


class TrainingAttention:
    """CPU training kernels while training on CPU, SDPA and plain dropout while evaluating and after."""

    def __init__(self, model: torch.nn.Module, device: torch.device):
        self.model = model
        self.encoders = _switchable(model) if device.type == "cpu" else []
        self.current = SDPA
        self._dropouts = contextlib.ExitStack()

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
        if implementation == self.current or not self.encoders:
            return
        for encoder in self.encoders:
            encoder.set_attn_implementation(_supported(encoder, implementation))
        if implementation == CPU_TRAINING:
            self._dropouts.enter_context(dropout16.sixteen_bit_dropout(self.model))
        else:
            self._dropouts.close()
        self.current = implementation
