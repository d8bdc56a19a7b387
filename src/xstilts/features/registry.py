"""Task kind → featurizer. The single entry point the pipeline calls to tokenize examples."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from xstilts.errors import XstiltsError
from xstilts.features.choice import featurize_choice
from xstilts.features.classification import featurize_classification
from xstilts.features.featureset import FeatureSet
from xstilts.features.retrieval import featurize_retrieval
from xstilts.features.span import featurize_span
from xstilts.features.tagging import featurize_tagging

# Bump whenever any featurizer's output changes for the same input: it is part of every cache
# key, so stale cached features are never reused. 2: long tagging sentences are windowed
# (refs gain owned_start/owned_stop) instead of truncated.
FEATURIZER_VERSION = 2

FEATURIZERS: dict[str, Callable[..., FeatureSet]] = {
    "classification": featurize_classification,
    "pair_classification": featurize_classification,
    "multiple_choice": featurize_choice,
    "span_extraction": featurize_span,
    "tagging": featurize_tagging,
    "retrieval": featurize_retrieval,
}


def featurize(
    kind: str,
    examples: Sequence[Any],
    tokenizer,
    *,
    max_length: int,
    labels: Sequence[str] | None = None,
    **kind_options: Any,
) -> FeatureSet:
    """Tokenize `examples` of a task kind. kind_options: span_extraction takes doc_stride and
    max_query_length; retrieval takes ids and prefix."""
    if kind not in FEATURIZERS:
        raise XstiltsError(f"unknown task kind {kind!r}; known: {sorted(FEATURIZERS)}")
    if not examples:
        raise XstiltsError(f"no {kind} examples to featurize")
    if max_length < 8:
        raise XstiltsError(f"max_length {max_length} is too small to hold special tokens and text")
    feature_set = FEATURIZERS[kind](examples, tokenizer, max_length=max_length, labels=labels, **kind_options)
    # Consumers dispatch on FeatureSet.kind, so it is the kind asked for (a "classification"
    # task may well hold sentence pairs).
    return dataclasses.replace(feature_set, kind=kind)
