"""On-disk feature cache: tokenize each (tokenizer, task, split, language, length, data) once.

The key is a hash of everything that changes the features: the tokenizer's content, the task,
split and language, max_length and kind options, FEATURIZER_VERSION and a hash of the examples
themselves (so an edited data file or a different slice never hits a stale entry).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from xstilts.features.featureset import FeatureSet
from xstilts.features.registry import FEATURIZER_VERSION
from xstilts.features.storage import is_saved, load_feature_set, save_feature_set


def cached_featurize(
    cache_dir: str | Path, key_parts: Mapping[str, Any], build_fn: Callable[[], FeatureSet]
) -> FeatureSet:
    """Load the features stored under `key_parts`, or build them with `build_fn` and store them.

    `key_parts` must be JSON-serialisable; build it with `feature_cache_key`.
    """
    directory = Path(cache_dir) / cache_key(key_parts)
    if is_saved(directory):
        return load_feature_set(directory)
    feature_set = build_fn()
    save_feature_set(feature_set, directory, extra_meta={"key_parts": dict(key_parts)})
    return feature_set


def cache_key(key_parts: Mapping[str, Any]) -> str:
    canonical = json.dumps(dict(key_parts), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def feature_cache_key(
    *,
    tokenizer,
    task: str,
    split: str,
    language: str,
    max_length: int,
    examples: Iterable[Any],
    labels: Sequence[str] | None = None,
    **kind_options: Any,
) -> dict[str, Any]:
    """The key parts of one featurization. The label list is part of it (its order fixes the
    label ids) and so are kind_options (doc_stride, prefix, ... as passed to `featurize`); the
    task kind is implied by the task name."""
    return {
        "tokenizer": tokenizer_fingerprint(tokenizer),
        "task": task,
        "split": split,
        "language": language,
        "max_length": max_length,
        "labels": list(labels) if labels is not None else None,
        "featurizer_version": FEATURIZER_VERSION,
        "examples": examples_fingerprint(examples),
        "options": kind_options,
    }


def tokenizer_fingerprint(tokenizer) -> str:
    """Hash of the fast tokenizer's full definition (vocab, normalizer, templates).

    The backend's truncation/padding state is left out: transformers sets it per call, so it
    says nothing about the tokenizer and would make the key change after the first use.
    Hashing a 250k vocabulary takes most of a second, so the result is remembered per
    tokenizer object and vocabulary size (adding tokens changes the size, hence the key).
    """
    memo_key = len(tokenizer)
    remembered = _FINGERPRINTS.get(tokenizer)
    if remembered is not None and remembered[0] == memo_key:
        return remembered[1]
    fingerprint = _hash_definition(tokenizer)
    _FINGERPRINTS[tokenizer] = (memo_key, fingerprint)
    return fingerprint


_FINGERPRINTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _hash_definition(tokenizer) -> str:
    definition = json.loads(tokenizer.backend_tokenizer.to_str())
    definition.pop("truncation", None)
    definition.pop("padding", None)
    canonical = json.dumps(definition, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def examples_fingerprint(examples: Iterable[Any]) -> str:
    """Hash of the examples' content, in order (example dataclasses or plain sentences)."""
    digest = hashlib.sha256()
    for example in examples:
        content = dataclasses.asdict(example) if dataclasses.is_dataclass(example) else example
        digest.update(json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()[:32]
