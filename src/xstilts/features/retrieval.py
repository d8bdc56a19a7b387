"""Retrieval features: single sentences → input_ids / attention_mask for pooled embeddings."""

from __future__ import annotations

from collections.abc import Sequence

from xstilts.features.featureset import FeatureSet


def featurize_retrieval(
    examples: Sequence[str],
    tokenizer,
    *,
    max_length: int,
    labels: Sequence[str] | None = None,  # unused: retrieval has no labels
    ids: Sequence[str] | None = None,
    prefix: str = "",
) -> FeatureSet:
    """One feature per sentence. `ids` (default: the positions) name the sentences so mined pairs
    can be reported by corpus id; `prefix` is prepended for encoders trained with one (E5's
    "query: ")."""
    sentence_ids = [str(i) for i in range(len(examples))] if ids is None else list(ids)
    if len(sentence_ids) != len(examples):
        raise ValueError(f"{len(sentence_ids)} ids for {len(examples)} sentences")
    encoded = tokenizer([prefix + sentence for sentence in examples], truncation=True, max_length=max_length)
    return FeatureSet(
        kind="retrieval",
        inputs={name: list(encoded[name]) for name in encoded},
        refs={"example_index": list(range(len(examples)))},
        examples={"example_id": sentence_ids},
        info={"max_length": max_length, "prefix": prefix},
    )
