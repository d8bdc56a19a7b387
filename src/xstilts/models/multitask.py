"""Several task heads sharing one encoder, for multi-task intermediate training."""

from __future__ import annotations

from typing import Mapping

from torch import nn
from transformers import PreTrainedModel
from transformers.utils import ModelOutput

from xstilts.models.task_model import run_head


class MultiTaskModel(nn.Module):
    """`forward(task, **batch)` runs the shared encoder and the named task's head.

    The encoder is registered once, so its parameters appear once in `parameters()` and in
    the state dict however many heads there are.
    """

    def __init__(self, encoder: PreTrainedModel, heads: Mapping[str, nn.Module]):
        super().__init__()
        if not heads:
            raise ValueError("MultiTaskModel needs at least one head")
        self.encoder = encoder
        self.heads = nn.ModuleDict(dict(heads))

    @property
    def task_names(self) -> list[str]:
        return list(self.heads.keys())

    def forward(self, task: str, input_ids, attention_mask, token_type_ids=None, **targets) -> ModelOutput:
        if task not in self.heads:
            raise KeyError(f"no head for task '{task}'; heads: {self.task_names}")
        return run_head(self.encoder, self.heads[task], input_ids, attention_mask, token_type_ids, targets)
