"""Intermediate training on several tasks at once: a task mixture, optionally with masked-LM.

Each part (a task, or masked-LM on multilingual text) keeps its own features, collate and head
on one shared encoder (models.MultiTaskModel). A micro-batch always comes from one part: the
batch order draws the part of each next micro-batch from the mixture (proportional /
temperature / uniform over training-set sizes, plus a fixed share for masked-LM) and takes the
next length-grouped batch of that part, cycling a part that runs out (small tasks are
oversampled under temperature and uniform mixing, as in jiant).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
from torch import nn

from xstilts.features.batching import length_grouped_batches
from xstilts.features.featureset import FeatureSet
from xstilts.models.sampling import mixture_probabilities

MLM = "mlm"


@dataclass
class MixturePart:
    name: str
    features: FeatureSet
    collate: Callable[[list[dict]], dict]


class MixtureDataset(Sequence):
    """All parts' features behind one index: item i of part p is at offsets[p] + i."""

    def __init__(self, parts: Sequence[MixturePart]):
        self.parts = list(parts)
        self.offsets = np.cumsum([0] + [len(p.features) for p in self.parts])

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def locate(self, index: int) -> tuple[int, int]:
        part = int(np.searchsorted(self.offsets, index, side="right") - 1)
        return part, index - int(self.offsets[part])

    def __getitem__(self, index: int) -> dict[str, Any]:
        part, inner = self.locate(index)
        return {"__part__": part, **self.parts[part].features[inner]}

    def collate(self, rows: list[dict]) -> dict:
        part = rows[0]["__part__"]
        batch = self.parts[part].collate([{k: v for k, v in row.items() if k != "__part__"} for row in rows])
        return {"task": self.parts[part].name, **batch}

    def lengths(self) -> list[int]:
        return [n for part in self.parts for n in part.features.lengths()]


def part_probabilities(dataset: MixtureDataset, sampler: str, temperature: float, mlm_share: float) -> np.ndarray:
    tasks = {p.name: len(p.features) for p in dataset.parts if p.name != MLM}
    task_p = mixture_probabilities(tasks, sampler, temperature)
    share = mlm_share if any(p.name == MLM for p in dataset.parts) else 0.0
    return np.array([share if p.name == MLM else (1 - share) * task_p[p.name] for p in dataset.parts])


def mixture_batch_order(dataset: MixtureDataset, probabilities: np.ndarray, seed: int):
    """batch_order(epoch, micro) for the training loop: one epoch = as many micro-batches as all
    parts hold together; each is drawn from the part the mixture picks."""

    def order(epoch: int, micro: int) -> list[list[int]]:
        rng = np.random.default_rng([seed, epoch, 7])
        streams = []
        for p, part in enumerate(dataset.parts):
            batches = length_grouped_batches(part.features.lengths(), micro, seed=seed, epoch=epoch)
            streams.append([[int(dataset.offsets[p]) + i for i in batch] for batch in batches])
        total, cursor, out = sum(len(s) for s in streams), [0] * len(streams), []
        for p in rng.choice(len(streams), size=total, p=probabilities):
            out.append(streams[p][cursor[p] % len(streams[p])])
            cursor[p] += 1
        return out

    return order


class TaskView(nn.Module):
    """One task of a MultiTaskModel seen as a plain task model (for evaluation and prediction)."""

    def __init__(self, model: nn.Module, task: str):
        super().__init__()
        self.model, self.task = model, task

    def forward(self, **batch):
        return self.model(self.task, **batch)


class MixtureModel(nn.Module):
    """forward(task=..., **batch) -> MultiTaskModel(task, **batch): the loop's batches name their part."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    @property
    def encoder(self) -> nn.Module:
        # save_encoder looks for `.encoder`; a property, so it is not
        # registered twice in the state dict.
        return self.model.encoder

    def forward(self, task: str, **batch):
        return self.model(task, **batch)
