"""Where built model checkpoints live, and how a checkpoint directory appears atomically."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator

CACHE_DIR_ENV = "XSTILTS_CACHE_DIR"


def default_cache_dir() -> Path:
    """`$XSTILTS_CACHE_DIR`, else `~/.cache/xstilts`."""
    env = os.environ.get(CACHE_DIR_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "xstilts"


@contextlib.contextmanager
def atomic_directory(target: Path, *, replace: bool) -> Iterator[Path]:
    """Yield an empty temp folder beside `target`; on success it becomes `target`.

    A reader therefore never sees a half-written checkpoint, even if the writer is killed:
    the temp folder's name starts with a dot and is only ever renamed once it is complete.
    `replace=False` is for caches: if another process finished the same target first, its
    copy is kept and ours is discarded. `replace=True` swaps a stale target out.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield tmp
        _move_into_place(tmp, target, replace=replace)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _move_into_place(tmp: Path, target: Path, *, replace: bool) -> None:
    if replace and target.exists():
        # Directories cannot be swapped in one rename: move the old one aside first.
        aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        os.rename(target, aside / "old")
        os.rename(tmp, target)
        shutil.rmtree(aside, ignore_errors=True)
        return
    try:
        os.rename(tmp, target)
    except OSError:
        if replace or not target.is_dir():
            raise
        # A concurrent builder finished first; its copy is equally good, ours is dropped.


def build_once(target: Path, build: Callable[[Path], None]) -> Path:
    """Return `target`, first running `build(tmp_dir)` and renaming it there if it is absent."""
    target = Path(target)
    if not target.is_dir():
        with atomic_directory(target, replace=False) as tmp:
            build(tmp)
    return target
