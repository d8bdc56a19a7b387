"""Sentence embeddings for retrieval tasks (BUCC, Tatoeba), which train no head.

XTREME embeds sentences by mean-pooling the hidden states of a middle layer, which aligns
languages better than the last layer for models trained without parallel data.
"""

from __future__ import annotations

import torch
from transformers import PreTrainedModel


def middle_layer(encoder: PreTrainedModel) -> int:
    """Index into `hidden_states` (0 = embeddings output) of the middle transformer layer."""
    return encoder.config.num_hidden_layers // 2


def pooled_layer(num_layers: int, layer: int | None) -> int:
    """The non-negative `hidden_states` index that `layer` (None = middle, negative = from the
    end) names in an encoder of `num_layers` transformer layers."""
    chosen = num_layers // 2 if layer is None else layer
    absolute = chosen if chosen >= 0 else num_layers + 1 + chosen
    if not 0 <= absolute <= num_layers:
        raise ValueError(f"layer {layer} is outside an encoder with {num_layers} layers")
    return absolute


def embed_sentences(
    encoder: PreTrainedModel,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    layer: int | None = None,
) -> torch.Tensor:
    """[B, H] mean over non-padding tokens of `hidden_states[layer]` (default: middle layer).

    `layer` indexes HF's `hidden_states` tuple: 0 is the embedding output, L the last layer,
    negative values count from the end.
    """
    chosen = middle_layer(encoder) if layer is None else layer
    outputs = encoder(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
    states = outputs.hidden_states[chosen]
    mask = attention_mask.unsqueeze(-1).to(states.dtype)
    return (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
