"""Masked-language-model head and masking collate, for mixing MLM on multilingual text into
intermediate training (so the encoder keeps its non-English knowledge)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from transformers import DataCollatorForLanguageModeling, PreTrainedModel, PreTrainedTokenizerBase
from transformers.modeling_outputs import MaskedLMOutput

from xstilts.models.heads import IGNORE_INDEX, fresh_linear


class MaskedLMHead(nn.Module):
    """dense -> GELU -> LayerNorm -> scores against the encoder's own input embeddings.

    The output projection is the input embedding matrix itself (weight tying), so the head
    adds only H*H + 3H + V parameters. The embedding module is held outside the module tree
    (in a tuple) so it is not registered twice: it stays owned, saved and moved by the encoder.
    """

    def __init__(self, encoder: PreTrainedModel):
        super().__init__()
        config = encoder.config
        self.dense = fresh_linear(config.hidden_size, config.hidden_size)
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        embeddings = encoder.get_input_embeddings()
        self.bias = nn.Parameter(torch.zeros(embeddings.num_embeddings))
        self._tied_embeddings = (embeddings,)

    @property
    def decoder_weight(self) -> torch.Tensor:
        return self._tied_embeddings[0].weight

    def forward(self, hidden, attention_mask, batch_shape, labels=None) -> MaskedLMOutput:
        """With `labels`, scores only the masked positions ([M, V], M = #labels != -100):
        full [B, T, V] scores over a 250k vocabulary would not fit in CPU memory."""
        if labels is None:
            return MaskedLMOutput(logits=self._scores(hidden))
        masked = labels != IGNORE_INDEX
        logits = self._scores(hidden[masked])
        return MaskedLMOutput(loss=F.cross_entropy(logits, labels[masked]), logits=logits)

    def _scores(self, states: torch.Tensor) -> torch.Tensor:
        x = self.norm(F.gelu(self.dense(states)))
        return F.linear(x, self.decoder_weight, self.bias)


def masked_lm_collator(
    tokenizer: PreTrainedTokenizerBase, probability: float = 0.15, seed: int | None = None
) -> DataCollatorForLanguageModeling:
    """Pads tokenized examples and masks `probability` of non-special tokens BERT-style:
    80 % -> <mask>, 10 % -> a random token, 10 % unchanged; labels are -100 elsewhere."""
    return DataCollatorForLanguageModeling(
        tokenizer,
        mlm=True,
        mlm_probability=probability,
        mask_replace_prob=0.8,
        random_replace_prob=0.1,
        seed=seed,
    )
