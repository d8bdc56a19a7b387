"""Examples per data file, cached on disk so ``xstilts tasks`` does not re-read the pack.

Counting means parsing (PAN-X alone is ~250k sentences: over a minute on a busy CPU), while the
files themselves rarely change. Each count is stored under a key made of the file's resolved
path, size and modification time (nanoseconds), plus how it was read (format, options); a file
rewritten in place gets a new size or mtime and is counted again. The cache is one small JSON
file under the cache dir ($XSTILTS_CACHE_DIR, else ~/.cache/xstilts), replaced atomically.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from xstilts.io import atomic_write_text
from xstilts.models.cache import default_cache_dir

CACHE_FILE = "example-counts.json"
CACHE_VERSION = 1


def _stat_part(path: Path) -> list:
    stat = path.stat()
    return [str(path.resolve()), stat.st_size, stat.st_mtime_ns]


def _siblings(path: Path) -> list[Path]:
    """A bitext's other files (``de-en.dev.de`` -> ``de-en.dev.en``, ``.gold``): its count depends on them."""
    prefix = path.name.rsplit(".", 1)[0] + "."
    return sorted(p for p in path.parent.glob(prefix + "*") if p != path and p.is_file())


def file_key(path: Path, reader: str, options: dict[str, Any], *, bitext: bool = False) -> str:
    files = [path, *(_siblings(path) if bitext else [])]
    return json.dumps([reader, options, [_stat_part(p) for p in files]], sort_keys=True)


class CountCache:
    """``count(key, compute)``: a cached count, else ``compute()`` remembered; ``save()`` writes."""

    def __init__(self, folder: Path | None = None):
        self.path = (folder or default_cache_dir()) / CACHE_FILE
        self.counts = self._load()
        self.misses = 0
        self.on_miss: Callable[[str], None] | None = None  # called before counting a file anew
        self._used: set[str] = set()

    def _load(self) -> dict[str, int]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # absent or damaged: it is only a cache, count again
            return {}
        if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
            return {}
        counts = data.get("counts")
        return {k: v for k, v in counts.items() if isinstance(v, int)} if isinstance(counts, dict) else {}

    def count(self, key: str, compute: Callable[[], int]) -> int:
        self._used.add(key)
        if key not in self.counts:
            if self.on_miss is not None:
                self.on_miss(key)
            self.counts[key] = compute()
            self.misses += 1
        return self.counts[key]

    def save(self) -> None:
        """Write when something was counted, dropping the keys of files since changed or gone."""
        if not self.misses:
            return
        counts = {k: v for k, v in self.counts.items() if k in self._used or _still_current(k)}
        try:
            atomic_write_text(self.path, json.dumps({"version": CACHE_VERSION, "counts": counts}))
        except OSError:  # a read-only cache dir only makes the next call slow again
            pass


def _still_current(key: str) -> bool:
    try:
        files = json.loads(key)[2]
        return all(_stat_part(Path(name)) == [name, size, mtime] for name, size, mtime in files)
    except (OSError, ValueError, TypeError, IndexError):
        return False
