"""Featurization: examples → tokenized features (with back-references), batching, caching,
and predictions mapped back to examples.

The names below are loaded on first use (PEP 562): planning a trial needs only the feature
cache's fingerprints, and must not import torch through the collate functions.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOME = {
    "length_grouped_batches": "batching", "padding_stats": "batching",
    "cached_featurize": "cache", "feature_cache_key": "cache", "tokenizer_fingerprint": "cache",
    "make_collate": "collate", "FeatureSet": "featureset", "IGNORE_INDEX": "labels",
    "postprocess_qa": "qa_postprocess", "FEATURIZER_VERSION": "registry", "FEATURIZERS": "registry",
    "featurize": "registry", "load_feature_set": "storage", "save_feature_set": "storage",
    "tags_from_logits": "tagging",
}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'xstilts.features' has no attribute {name!r}")
    return getattr(importlib.import_module(f"xstilts.features.{_HOME[name]}"), name)
