"""Model FLOPs of a Transformer encoder, from its shape and the real (non-pad) tokens.

The accounting of PaLM (Chowdhery et al. 2022, appendix B), which extends Kaplan et al. (2020):

- training: ``6·N`` FLOPs per token (forward 2N, backward 4N) plus ``12·L·d·s`` per token for
  self-attention, where N counts the parameters that take part in matmuls (every parameter
  *except* the embedding tables: a lookup is not a matmul), L is the number of layers, d the
  hidden size and s the length of the token's sequence. Per sequence of s tokens the attention
  term is ``12·L·d·s²`` (forward: QKᵀ and AV, ``2·s²·d`` each per layer; backward twice that).
- evaluation (forward only): a third of both terms, ``2·N`` per token plus ``4·L·d·s²`` per
  sequence.

Only real tokens count: padding is work the hardware does but the model does not need, so MFU
(model FLOPs utilisation, as PaLM defines it) falls when batches carry padding. Biases,
layer norms, softmax and the loss are left out, as PaLM and Kaplan et al. leave them out; they
are well under 1 % of the matmul FLOPs of e5-small or XLM-R.

The attention term needs the sum over sequences of s², written ``token_pairs`` here. When only
a batch's totals are known (examples, real tokens), ``mean_token_pairs`` takes every sequence
to have the batch's mean length: exact for equal lengths, a slight under-count otherwise (by
Jensen's inequality), and length-grouped batches are close to equal length.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch

TRAINING_PARAM_FLOPS = 6  # per parameter and token: forward 2, backward 4
FORWARD_PARAM_FLOPS = 2
TRAINING_ATTENTION_FLOPS = 12  # per layer, hidden unit and token pair
FORWARD_ATTENTION_FLOPS = 4


def count_flop_params(model: torch.nn.Module) -> int:
    """Parameters that take part in matmuls: all of them except embedding tables."""
    embedding = {id(m.weight) for m in model.modules() if isinstance(m, torch.nn.Embedding)}
    return sum(p.numel() for p in model.parameters() if id(p) not in embedding)


@dataclass(frozen=True)
class EncoderShape:
    params: int  # non-embedding parameters (N)
    layers: int  # 0 when the model has no recognisable config: the attention term is then left out
    hidden: int

    def flops(self, tokens: float, token_pairs: float, *, training: bool) -> float:
        """Model FLOPs for ``tokens`` real tokens whose sequences' squared lengths sum to ``token_pairs``."""
        param, attention = (
            (TRAINING_PARAM_FLOPS, TRAINING_ATTENTION_FLOPS) if training
            else (FORWARD_PARAM_FLOPS, FORWARD_ATTENTION_FLOPS)
        )
        return param * self.params * tokens + attention * self.layers * self.hidden * token_pairs

    def sequence_flops(self, lengths: Iterable[int], *, training: bool) -> float:
        """Exact model FLOPs of sequences with these real lengths."""
        lengths = [int(n) for n in lengths]
        return self.flops(sum(lengths), sum(n * n for n in lengths), training=training)


def _config_of(model: torch.nn.Module):
    # A task model wraps a Hugging Face encoder: the first module with a transformer config has the shape.
    for module in model.modules():
        config = getattr(module, "config", None)
        if getattr(config, "num_hidden_layers", None) and getattr(config, "hidden_size", None):
            return config
    return None


def encoder_shape(model: torch.nn.Module) -> EncoderShape:
    config = _config_of(model)
    layers, hidden = (config.num_hidden_layers, config.hidden_size) if config is not None else (0, 0)
    return EncoderShape(count_flop_params(model), int(layers), int(hidden))


def mean_token_pairs(examples: int, real_tokens: int) -> float:
    """Sum of squared sequence lengths, every sequence taken at the batch's mean length."""
    return real_tokens * real_tokens / examples if examples > 0 else 0.0
