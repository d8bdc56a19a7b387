"""Content addresses: a phase's output is named by a hash of everything that changes it.

What goes into a key (see graph.py, which builds every key of a trial):
- the examples the phase reads, by content (`examples_fingerprint`, the scheme the feature cache
  uses too), never by path: a copied data dir reuses, an edited label recomputes;
- the task spec (its full definition, hashed);
- the model source's files (`model_fingerprint`), never the source string: a retrained local
  folder or a new hub revision is another model;
- the code version of featurizers (FEATURIZER_VERSION) and of the phases (PHASE_CODE_VERSION);
- the phase's own settings and its parents' keys.

Two trials that would compute the same phase get the same key, so the phase runs once and is
reused; a finished key is never recomputed.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from xstilts.io import atomic_write_text

# Bump when phase code (training, prediction, scoring) changes its outputs for the same inputs.
# 3: CPU training with attention dropout runs eager attention (train/attention.py): same
# dropout masks, bf16 matmuls instead of SDPA's fp32 math path, so losses differ in bf16 noise.
# 4: CPU training draws 16-bit dropout masks and keeps the attention softmax in bf16
# (train/dropout.py, train/attention.py): other masks from the same seed, another noise path.
PHASE_CODE_VERSION = 4
# Revisions of one phase's code on top of PHASE_CODE_VERSION (the other phases keep their keys).
# zero_shot/retrieval 1: every stored score carries its sampling error (metrics.sampling).
PHASE_REVISIONS = {"zero_shot": 1, "retrieval": 1}
_FINGERPRINT_CACHE = "model-fingerprints.json"


def content_key(phase: str, payload: Mapping[str, Any]) -> str:
    from xstilts.features.registry import FEATURIZER_VERSION

    versions = {"phase_code": PHASE_CODE_VERSION, "featurizer": FEATURIZER_VERSION}
    if phase in PHASE_REVISIONS:
        versions["phase_revision"] = PHASE_REVISIONS[phase]
    blob = json.dumps({"phase": phase, "versions": versions, **payload}, sort_keys=True, default=str)
    return f"{phase}-{hashlib.sha256(blob.encode()).hexdigest()[:16]}"


def spec_fingerprint(spec: Any) -> str:
    """The whole task definition (labels, files, formats, options): editing a spec changes it."""
    return hashlib.sha256(spec.model_dump_json().encode()).hexdigest()[:16]


def model_fingerprint(folder: Path, cache_dir: Path) -> str:
    """Hash of every file of a checkpoint folder (weights, config, tokenizer).

    Hashing 0.5 GB of weights takes about a second, so per-file digests are remembered in
    `cache_dir` by (path, size, mtime): a file rewritten in place has a new mtime and is hashed
    again; an unchanged one is not.
    """
    known = _load_digests(cache_dir)
    digest, changed = hashlib.sha256(), False
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file() and not p.name.startswith(".")):
        stat = path.stat()
        memo = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
        if memo not in known:
            known[memo], changed = _file_digest(path), True
        digest.update(f"{path.relative_to(folder)}\0{known[memo]}\n".encode())
    if changed:
        _save_digests(cache_dir, known)
    return digest.hexdigest()[:16]


def _file_digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _load_digests(cache_dir: Path) -> dict[str, str]:
    path = Path(cache_dir) / _FINGERPRINT_CACHE
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}  # missing or damaged: digests are recomputed, never trusted blindly


def _save_digests(cache_dir: Path, known: dict[str, str]) -> None:
    try:
        os.makedirs(cache_dir, exist_ok=True)
        atomic_write_text(Path(cache_dir) / _FINGERPRINT_CACHE, json.dumps(known, indent=0))
    except OSError:
        pass  # a read-only cache only costs hashing again next time


@lru_cache(maxsize=8)
def memo_model_fingerprint(folder: str, cache_dir: str, stamp: tuple) -> str:
    """model_fingerprint once per process for an unchanged folder (stamp: its files' stats)."""
    return model_fingerprint(Path(folder), Path(cache_dir))


def folder_stamp(folder: Path) -> tuple:
    return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in Path(folder).rglob("*") if p.is_file()))
