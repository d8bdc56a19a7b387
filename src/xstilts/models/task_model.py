"""A task model: one shared-architecture encoder (`transformers.AutoModel`) plus one head."""

from __future__ import annotations

import torch
from torch import nn
from transformers import PreTrainedModel
from transformers.utils import ModelOutput

from xstilts.models.heads import build_head


def run_head(
    encoder: PreTrainedModel,
    head: nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    token_type_ids: torch.Tensor | None,
    targets: dict[str, torch.Tensor],
) -> ModelOutput:
    """Encode every input row ([B, T] or [B, C, T] flattened to [N, T]) and apply `head`."""
    batch_shape = input_ids.shape[:-1]
    flat = {"input_ids": input_ids, "attention_mask": attention_mask}
    if token_type_ids is not None:
        flat["token_type_ids"] = token_type_ids
    flat = {name: t.reshape(-1, t.size(-1)) for name, t in flat.items()}
    hidden = encoder(**flat).last_hidden_state
    return head(hidden, flat["attention_mask"], batch_shape, **targets)


class TaskModel(nn.Module):
    """`forward(**batch)` takes HF-style batches: encoder inputs plus the head's targets."""

    # HF Trainer passes num_items_in_batch to models that accept loss kwargs; heads compute
    # their own mean loss, so tell Trainer not to (keeps TaskModel usable with Trainer).
    accepts_loss_kwargs = False

    def __init__(self, encoder: PreTrainedModel, head: nn.Module):
        super().__init__()
        self.encoder = encoder
        self.head = head

    def forward(self, input_ids, attention_mask, token_type_ids=None, **targets) -> ModelOutput:
        return run_head(self.encoder, self.head, input_ids, attention_mask, token_type_ids, targets)


def build_task_model(
    encoder: PreTrainedModel, kind: str, num_labels: int | None = None, dropout: float | None = None
) -> TaskModel:
    """Encoder + a new head for `kind`; dropout defaults to the encoder's own hidden dropout."""
    config = encoder.config
    rate = config.hidden_dropout_prob if dropout is None else dropout
    return TaskModel(encoder, build_head(kind, config.hidden_size, num_labels, rate))
