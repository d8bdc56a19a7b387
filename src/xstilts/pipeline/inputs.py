"""Tokenizers, cached features and label lists for phases (what they read comes from reads.py)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

from transformers import AutoTokenizer, PreTrainedTokenizerBase

from xstilts.data.examples import Example
from xstilts.features.cache import cached_featurize, feature_cache_key
from xstilts.features.featureset import FeatureSet
from xstilts.features.registry import featurize
from xstilts.pipeline.context import PhaseContext
from xstilts.tasks.registry import get_task


@lru_cache(maxsize=8)
def _tokenizer(encoder_dir: str) -> PreTrainedTokenizerBase:
    return AutoTokenizer.from_pretrained(encoder_dir)


def load_tokenizer(encoder_dir: Path) -> PreTrainedTokenizerBase:
    """One tokenizer per checkpoint dir per process: loading a 250k-piece vocabulary takes ~1 s,
    and a target phase asks for it once per evaluated language."""
    return _tokenizer(str(encoder_dir))


def features(
    ctx: PhaseContext,
    kind: str,
    examples: Sequence[Any],
    tokenizer: PreTrainedTokenizerBase,
    *,
    task: str,
    split: str,
    language: str,
    max_length: int,
    labels: Sequence[str] | None,
    **options: Any,
) -> FeatureSet:
    """Featurize through the on-disk cache, so sweeps never tokenize the same data twice."""
    key = feature_cache_key(
        tokenizer=tokenizer, task=task, split=split, language=language,
        max_length=max_length, examples=examples, labels=list(labels or []), **options,
    )
    build = lambda: featurize(kind, examples, tokenizer, max_length=max_length, labels=labels, **options)  # noqa: E731
    return cached_featurize(ctx.cache_dir / "features", key, build)


def kind_options(kind: str, doc_stride: int) -> dict[str, Any]:
    """Featurizer options that only some kinds take (QA windows overlap by doc_stride)."""
    return {"doc_stride": doc_stride} if kind == "span_extraction" else {}


def label_list(task: str, examples: Sequence[Example]) -> list[str] | None:
    """The spec's labels; for open inventories (CCG supertags) the labels seen in training."""
    spec = get_task(task)
    if spec.labels is not None or spec.kind not in ("tagging",):
        return spec.labels
    return sorted({tag for example in examples for tag in (example.tags or ())})
