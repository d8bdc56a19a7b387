"""Run a task model over features and turn its outputs into predictions per task kind.

PREDICTORS maps a kind to a function (feature_set, outputs, labels) -> predictions shaped
as the metric and XTREME's prediction files expect; GOLD does the same for examples.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import Any, Callable, Sequence

import numpy as np
import torch
from accelerate.utils import send_to_device

from xstilts.data.examples import Example
from xstilts.features.batching import length_grouped_batches
from xstilts.features.collate import make_collate
from xstilts.features.featureset import FeatureSet
from xstilts.features.qa_postprocess import postprocess_qa
from xstilts.features.tagging import tags_from_logits


@torch.no_grad()
def model_outputs(model: torch.nn.Module, feature_set: FeatureSet, pad_id: int, batch_size: int) -> dict[str, list]:
    """Per-feature outputs (logits as numpy rows) in feature order.

    Batches are length-sorted so padding is minimal; rows are put back in feature order.
    """
    return pooled_model_outputs(model, {"": feature_set}, pad_id, batch_size)[""]


@torch.no_grad()
def pooled_model_outputs(model: torch.nn.Module, feature_sets: dict[str, FeatureSet], pad_id: int,
                         batch_size: int, frozen_compile: bool = False) -> dict[str, dict[str, list]]:
    """model_outputs for several feature sets of one kind (a task's languages) in one pass.

    Sorting the rows of every language together fills each batch with rows of nearly equal
    length; per language, a few hundred rows leave the last batches padded to its longest.
    ``frozen_compile``: on CPU under bf16 autocast, run a compiled copy whose weights are frozen
    into the graph (RunConfig.cpu_eval_compile); elsewhere it changes nothing.
    """
    model.eval()
    kinds = {fs.kind for fs in feature_sets.values()}
    if len(kinds) != 1:
        raise ValueError(f"feature sets of one kind expected, got {sorted(kinds)}")
    kind = kinds.pop()
    rows_of = [(name, i) for name, fs in feature_sets.items() for i in range(len(fs))]
    lengths = [length for fs in feature_sets.values() for length in fs.lengths()]
    collate = make_collate(kind, pad_id)
    names = ("start_logits", "end_logits") if kind == "span_extraction" else ("logits",)
    outputs = {key: {name: [None] * len(fs) for name in names} for key, fs in feature_sets.items()}
    device = next(model.parameters()).device
    frozen = frozen_compile and _cpu_bf16_autocast(device)
    # No cast of the weights here: under the autocast region the caller opens, autocast casts each
    # trainable weight once and reuses it for every batch (it caches casts of leaves requiring grad).
    with _frozen_compiled(model) if frozen else contextlib.nullcontext(model) as forward:
        # Row batches, not token budgets: batches of many short rows measured 3-14 % slower in CPU
        # time for e5-small (activations outgrow the caches), though faster for tiny models.
        for batch_rows in length_grouped_batches(lengths, batch_size, shuffle=False):
            picked = [rows_of[position] for position in batch_rows]
            out = forward(**send_to_device(collate([_inputs_only(feature_sets[key], i) for key, i in picked]), device))
            for name in names:
                for row, (key, i) in zip(getattr(out, name).float().cpu().numpy(), picked):
                    outputs[key][name][i] = row
    return outputs


def _cpu_bf16_autocast(device: torch.device) -> bool:
    return device.type == "cpu" and torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16


@contextlib.contextmanager
def _frozen_compiled(model: torch.nn.Module) -> Iterator[Callable[..., Any]]:
    """A forward compiled by inductor with the weights folded in as constants and prepacked for
    oneDNN (BENCHMARKS.md: 1.56x per batch for e5-small, ~20-25 s of compiling per model).

    The graph owns a private copy of the weights, so weights loaded into ``model`` later never
    meet a graph frozen with earlier ones; dynamo's caches are cleared before (so no graph
    compiled earlier, frozen or not, is reused) and after (so the copy is released)."""
    torch._dynamo.reset()
    compiled = torch.compile(copy.deepcopy(model), dynamic=True)  # model is in eval mode already

    def forward(**batch):
        with torch._inductor.config.patch(freezing=True):  # read whenever a new shape compiles
            return compiled(**batch)

    try:
        yield forward
    finally:
        torch._dynamo.reset()


_TARGETS = ("labels", "start_positions", "end_positions")


def _inputs_only(fs: FeatureSet, index: int) -> dict[str, Any]:
    return {name: column[index] for name, column in fs.inputs.items() if name not in _TARGETS}


def _argmax_labels(fs: FeatureSet, outputs: dict[str, list], labels: Sequence[str] | None) -> list[str]:
    return [labels[int(np.argmax(row))] for row in outputs["logits"]]


def _argmax_choice(fs: FeatureSet, outputs: dict[str, list], labels: Sequence[str] | None) -> list[str]:
    return [str(int(np.argmax(row))) for row in outputs["logits"]]


def _spans(fs: FeatureSet, outputs: dict[str, list], labels: Sequence[str] | None) -> dict[str, str]:
    return postprocess_qa(fs, outputs["start_logits"], outputs["end_logits"])


def _tags(fs: FeatureSet, outputs: dict[str, list], labels: Sequence[str] | None) -> list[list[str]]:
    return tags_from_logits(fs, outputs["logits"], labels)


PREDICTORS: dict[str, Callable[[FeatureSet, dict[str, list], Sequence[str] | None], Any]] = {
    "classification": _argmax_labels,
    "pair_classification": _argmax_labels,
    "multiple_choice": _argmax_choice,
    "span_extraction": _spans,
    "tagging": _tags,
}

GOLD: dict[str, Callable[[Sequence[Example]], Any]] = {
    "classification": lambda examples: [e.label for e in examples],
    "pair_classification": lambda examples: [e.label for e in examples],
    "multiple_choice": lambda examples: [str(e.label) for e in examples],
    "span_extraction": lambda examples: [(e.id, [a.text for a in e.answers]) for e in examples],
    "tagging": lambda examples: [list(e.tags) for e in examples],
}


def predict(model: torch.nn.Module, feature_set: FeatureSet, labels: Sequence[str] | None, pad_id: int, batch_size: int) -> Any:
    return PREDICTORS[feature_set.kind](feature_set, model_outputs(model, feature_set, pad_id, batch_size), labels)


def predict_pooled(model: torch.nn.Module, feature_sets: dict[str, FeatureSet], labels: Sequence[str] | None,
                   pad_id: int, batch_size: int, frozen_compile: bool = False) -> dict[str, Any]:
    """predict() for every language of a task, batched together (see pooled_model_outputs)."""
    outputs = pooled_model_outputs(model, feature_sets, pad_id, batch_size, frozen_compile)
    return {key: PREDICTORS[fs.kind](fs, outputs[key], labels) for key, fs in feature_sets.items()}
