"""Throwaway models and data for the training-loop tests (importable by subprocess scripts too)."""

from __future__ import annotations

import random
from types import SimpleNamespace

import torch
from transformers import BertConfig, BertForSequenceClassification

VOCAB = 40
N_LABELS = 3


def make_dataset(n_examples: int, seed: int = 7) -> list[dict]:
    """Variable-length token lists; the label is learnable from the tokens (their sum mod 3)."""
    generator = random.Random(seed)
    dataset = []
    for _ in range(n_examples):
        ids = [generator.randrange(1, VOCAB) for _ in range(generator.randint(3, 12))]
        dataset.append({"input_ids": ids, "labels": sum(ids) % N_LABELS})
    return dataset


def collate(features: list[dict]) -> dict[str, torch.Tensor]:
    width = max(len(f["input_ids"]) for f in features)
    ids = torch.zeros(len(features), width, dtype=torch.long)
    mask = torch.zeros(len(features), width, dtype=torch.long)
    for row, feature in enumerate(features):
        ids[row, : len(feature["input_ids"])] = torch.tensor(feature["input_ids"])
        mask[row, : len(feature["input_ids"])] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": torch.tensor([f["labels"] for f in features])}


class TinyClassifier(torch.nn.Module):
    """Mean-pooled embeddings -> dropout -> LayerNorm -> linear. Dropout makes RNG state matter."""

    def __init__(self, dim: int = 16, dropout: float = 0.1):
        super().__init__()
        self.embed = torch.nn.Embedding(VOCAB, dim)
        self.hidden = torch.nn.Linear(dim, dim)
        self.norm = torch.nn.LayerNorm(dim)
        self.dropout = torch.nn.Dropout(dropout)
        self.head = torch.nn.Linear(dim, N_LABELS)

    def forward(self, input_ids, attention_mask, labels=None):
        mask = attention_mask.unsqueeze(-1).float()
        pooled = (self.embed(input_ids) * mask).sum(1) / mask.sum(1)
        logits = self.head(self.norm(self.dropout(torch.tanh(self.hidden(pooled)))))
        loss = torch.nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return SimpleNamespace(loss=loss, logits=logits)


def tiny_bert(seed: int = 0) -> BertForSequenceClassification:
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=VOCAB,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
        num_labels=N_LABELS,
    )
    return BertForSequenceClassification(config)


def accuracy(model: torch.nn.Module, dataset: list[dict]) -> float:
    # Inputs go where the model is: train() moves it to the GPU when there is one.
    device = next(model.parameters()).device
    batch = {name: tensor.to(device) for name, tensor in collate(dataset).items()}
    labels = batch.pop("labels")
    logits = model(**batch).logits
    return 100.0 * (logits.argmax(-1) == labels).float().mean().item()


def eval_fn_for(english_dev: list[dict], target_dev: list[dict]):
    def eval_fn(model):
        return {"score": accuracy(model, english_dev), "target_dev": accuracy(model, target_dev)}

    return eval_fn


class DeepLinearRegressor(torch.nn.Module):
    """A deep linear stack (identity-initialised) regressing the label: fine at small learning
    rates, but at 1.0 AdamW's per-weight steps multiply through the depth and the loss overflows."""

    def __init__(self, depth: int = 24, width: int = 8):
        super().__init__()
        self.embed = torch.nn.Embedding(VOCAB, width)
        self.layers = torch.nn.ModuleList(torch.nn.Linear(width, width) for _ in range(depth))
        for layer in self.layers:
            torch.nn.init.eye_(layer.weight)
            torch.nn.init.zeros_(layer.bias)
        self.out = torch.nn.Linear(width, 1)

    def forward(self, input_ids, attention_mask, labels):
        mask = attention_mask.unsqueeze(-1).float()
        hidden = (self.embed(input_ids) * mask).sum(1) / mask.sum(1)
        for layer in self.layers:
            hidden = layer(hidden)
        prediction = self.out(hidden).squeeze(-1)
        return SimpleNamespace(loss=((prediction - labels.float()) ** 2).mean(), logits=prediction)


class NanLossAtCall(TinyClassifier):
    """Returns a NaN loss on the given (1-based) training forward call (one with labels)."""

    def __init__(self, call: int):
        super().__init__()
        self.nan_call, self.calls = call, 0

    def forward(self, **batch):
        self.calls += "labels" in batch
        output = super().forward(**batch)
        if self.calls == self.nan_call and "labels" in batch:
            output.loss = output.loss * float("nan")
        return output


class OutOfMemoryOnce(TinyClassifier):
    """Raises CUDA's out-of-memory error the first time a batch has more than ``limit`` rows."""

    def __init__(self, limit: int, dropout: float = 0.1):
        super().__init__(dropout=dropout)
        self.limit, self.raised = limit, False

    def forward(self, **batch):
        if batch["input_ids"].shape[0] > self.limit and not self.raised:
            self.raised = True
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (injected by the test)")
        return super().forward(**batch)


def seeded(factory, seed: int = 0, **kwargs):
    torch.manual_seed(seed)
    return factory(**kwargs)


def same_weights(first: torch.nn.Module, second: torch.nn.Module) -> bool:
    theirs = second.state_dict()  # either may have trained on a GPU: compare on the host
    return all(torch.equal(tensor.cpu(), theirs[name].cpu()) for name, tensor in first.state_dict().items())
