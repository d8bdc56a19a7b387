"""Checkpoint I/O: verified folders written atomically.

Layout under a phase's ``checkpoint_dir``::

    checkpoints/step-00000040/   model.safetensors optimizer.pt scheduler.pt rng.pt state.json MANIFEST.json
    best/<key>/step-00000030/    model.safetensors scores.json MANIFEST.json

Every folder is written under a temporary name and renamed into place, so a killed writer leaves
either the old state or the new one. ``MANIFEST.json`` holds the SHA-256 of every other file and
is checked before anything is loaded: a corrupt folder is reported and skipped, never used.
Tensors go through safetensors; optimizer/scheduler/RNG state through ``torch.save`` and back
through ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path
from collections.abc import Callable

import torch
from safetensors import safe_open
from safetensors.torch import _remove_duplicate_names, load_model, save_file, save_model

from xstilts.errors import ConfigError, DataError
from xstilts.io import atomic_write_text
from xstilts.train.rng import capture_rng, restore_rng

log = logging.getLogger(__name__)

MANIFEST = "MANIFEST.json"
WEIGHTS = "model.safetensors"
STATE = "state.json"
STEP_DIR = re.compile(r"^step-(\d{8})$")
SAFE_KEY = re.compile(r"^[A-Za-z0-9_.-]+$")


class CheckpointError(DataError):
    """A checkpoint folder is incomplete or fails its checksums."""

    def __init__(self, path: str | Path, message: str):
        super().__init__(path, None, message)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_verified_dir(target: Path, write_files: Callable[[Path], None]) -> Path:
    """Let ``write_files`` fill a temporary folder, add the manifest, rename it to ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=target.parent))
    try:
        write_files(staging)
        files = sorted(p for p in staging.iterdir() if p.is_file())
        for path in files:
            _fsync(path)
        manifest = {path.name: _sha256(path) for path in files}
        atomic_write_text(staging / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
        if target.exists():  # a stale copy from a run that was killed before it was referenced
            shutil.rmtree(target)
        os.replace(staging, target)
        _fsync(target.parent)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def verify_dir(path: Path) -> None:
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise CheckpointError(path, f"no {MANIFEST}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise CheckpointError(path, f"unreadable {MANIFEST}: {error}") from error
    present = {p.name for p in path.iterdir()} - {MANIFEST}
    if present != set(manifest):
        raise CheckpointError(path, f"files {sorted(present)} differ from the manifest's {sorted(manifest)}")
    for name, expected in manifest.items():
        if _sha256(path / name) != expected:
            raise CheckpointError(path, f"checksum mismatch in {name}")


def weights_digest(path: Path) -> str:
    """The recorded SHA-256 of a verified folder's model weights: equal digests, equal weights."""
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    return manifest["model.safetensors"]


# --- model weights ------------------------------------------------------------------------------

# Frozen parameters are left out of weight files: they never change, and every model a file is
# loaded into is built from the same starting encoder. With e5-small's frozen 250k x 384 word
# embeddings that shrinks each file from 470 MB to about 90 MB. The file records a fingerprint
# of each omitted tensor, checked on load, so a model built from another encoder is refused.
FROZEN_METADATA = "xstilts_frozen_fingerprints"


def _fingerprint(tensor: torch.Tensor) -> str:
    sample = tensor.detach().flatten()[::101].float().cpu().numpy()
    return f"{tuple(tensor.shape)}:{hashlib.sha256(sample.tobytes()).hexdigest()[:32]}"


def _frozen_names(model: torch.nn.Module) -> list[str]:
    return [name for name, p in model.named_parameters(remove_duplicate=False) if not p.requires_grad]


def save_weights(model: torch.nn.Module, path: Path) -> None:
    frozen = set(_frozen_names(model))
    if not frozen:
        save_model(model, str(path))
        return
    full = model.state_dict()
    state = {name: t for name, t in full.items() if name not in frozen}
    for aliases in _remove_duplicate_names(state).values():  # tied weights are stored once
        for alias in aliases:
            del state[alias]
    fingerprints = {name: _fingerprint(full[name]) for name in sorted(frozen) if name in full}
    save_file({k: v.contiguous() for k, v in state.items()}, str(path), metadata={FROZEN_METADATA: json.dumps(fingerprints)})


def _load_into(model: torch.nn.Module, path: Path) -> None:
    """Load a weights file; names it left out must be frozen tensors the model already holds."""
    with safe_open(str(path), framework="pt") as handle:
        omitted = json.loads((handle.metadata() or {}).get(FROZEN_METADATA, "{}"))
    missing, unexpected = load_model(model, str(path), strict=False)
    if unexpected or set(missing) - set(omitted):
        raise CheckpointError(path, f"weights do not fit the model: missing {sorted(set(missing) - set(omitted))[:3]}, "
                                    f"unexpected {sorted(unexpected)[:3]}")
    state = model.state_dict()
    for name, expected in omitted.items():
        if name not in state or _fingerprint(state[name]) != expected:
            raise CheckpointError(path, f"frozen weight {name} differs from the one these weights were trained with")


# --- resumable checkpoints -------------------------------------------------------------------


def checkpoint_dirs(root: Path) -> list[Path]:
    """Resumable checkpoints, newest first."""
    folder = root / "checkpoints"
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if STEP_DIR.match(p.name)), reverse=True)


def save_checkpoint(root: Path, step: int, model, optimizer, scheduler, state: dict, keep: int) -> Path:
    def write(folder: Path) -> None:
        save_weights(model, folder / WEIGHTS)
        torch.save(optimizer.state_dict(), folder / "optimizer.pt")
        torch.save(scheduler.state_dict(), folder / "scheduler.pt")
        torch.save(capture_rng(), folder / "rng.pt")
        (folder / STATE).write_text(json.dumps(state), encoding="utf-8")

    path = write_verified_dir(root / "checkpoints" / f"step-{step:08d}", write)
    for old in checkpoint_dirs(root)[keep:]:
        shutil.rmtree(old)
    return path


def newest_valid_checkpoint(root: Path) -> tuple[Path | None, list[Path]]:
    """The newest checkpoint that passes verification, and the corrupt ones met on the way."""
    corrupt = []
    for path in checkpoint_dirs(root):
        try:
            verify_dir(path)
            return path, corrupt
        except CheckpointError as error:
            log.warning("ignoring corrupt checkpoint: %s", error)
            corrupt.append(path)
    return None, corrupt


def remove_staging_leftovers(root: Path) -> None:
    """Delete half-written folders a killed writer left behind (they were never visible)."""
    for path in [*root.glob("checkpoints/.tmp-*"), *root.glob("best/*/.tmp-*")]:
        shutil.rmtree(path, ignore_errors=True)


def quarantine(paths: list[Path]) -> None:
    """Rename corrupt checkpoints out of the way (kept for inspection, never loaded again)."""
    for path in paths:
        os.replace(path, path.with_name(f"corrupt-{path.name}-{os.getpid()}"))


def read_state(path: Path) -> dict:
    return json.loads((path / STATE).read_text(encoding="utf-8"))


def restore_checkpoint(path: Path, model, optimizer, scheduler, device: torch.device) -> dict:
    """Load a verified checkpoint into the given objects (RNG included); return its state."""
    _load_into(model, path / WEIGHTS)
    optimizer.load_state_dict(torch.load(path / "optimizer.pt", weights_only=True, map_location=device))
    scheduler.load_state_dict(torch.load(path / "scheduler.pt", weights_only=True))
    restore_rng(torch.load(path / "rng.pt", weights_only=True))
    return read_state(path)


# --- best weights per selection key ----------------------------------------------------------


def save_best(root: Path, key: str, step: int, model, scores: dict[str, float]) -> Path:
    if not SAFE_KEY.match(key):
        raise ConfigError("select_on", f"selection key {key!r} must be letters, digits, '_', '.' or '-'")

    def write(folder: Path) -> None:
        save_weights(model, folder / WEIGHTS)
        (folder / "scores.json").write_text(json.dumps(scores), encoding="utf-8")

    return write_verified_dir(root / "best" / key / f"step-{step:08d}", write)


def prune_best(root: Path, keep: set[Path]) -> None:
    """Delete best-weight folders no retained checkpoint (or the live run) refers to."""
    for path in (root / "best").glob("*/step-*"):
        if path.resolve() not in keep:
            shutil.rmtree(path)


def tidy_finished(root: Path, keep: set[Path]) -> None:
    """Delete every checkpoint and best-weights folder of a finished run but those in ``keep``.

    The one clean-up: the loop keeps the final checkpoint and the best folders; the phase layer,
    once DONE.json names what it hands on, keeps only those (a kill midway is harmless: reuse
    reads only what DONE.json names)."""
    kept = {Path(path).resolve() for path in keep}
    for path in [*checkpoint_dirs(root), *(root / "best").glob("*/step-*")]:
        if path.resolve() not in kept:
            shutil.rmtree(path, ignore_errors=True)


def best_paths_referenced(root: Path) -> set[Path]:
    referenced = set()
    for path in checkpoint_dirs(root):
        try:
            best = read_state(path)["run"]["best"]
        except (OSError, ValueError, KeyError):
            continue  # unreadable: it will fail verification too and never be resumed
        referenced |= {(root / entry["path"]).resolve() for entry in best.values()}
    return referenced


def load_weights(model: torch.nn.Module, path: str | Path) -> None:
    """Load weights saved by this module (a checkpoint or best folder) after verifying them."""
    path = Path(path)
    verify_dir(path)
    _load_into(model, path / WEIGHTS)
