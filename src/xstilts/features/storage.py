"""FeatureSet ↔ a folder of Arrow IPC (Feather v2) files, written atomically.

Layout: `inputs.arrow`, `refs.arrow`, `examples.arrow` (one table each) and `meta.json`
(kind, info, and whatever the caller wants recorded, e.g. the cache key). `meta.json` is
written last inside a temp folder that is then renamed into place, so a folder that exists is
always complete.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
from pyarrow import feather

from xstilts.features.featureset import FeatureSet

TABLES = ("inputs", "refs", "examples")
META = "meta.json"


def save_feature_set(
    feature_set: FeatureSet, directory: str | Path, extra_meta: dict[str, Any] | None = None
) -> bool:
    """Write `feature_set` to `directory` unless it already exists. Returns whether this call wrote it.

    An existing folder is left alone: concurrent builders of the same key produce the same
    content, and the first complete one wins.
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".tmp", dir=directory.parent))
    try:
        for table in TABLES:
            feather.write_feather(pa.table(getattr(feature_set, table)), tmp / f"{table}.arrow")
        meta = {"kind": feature_set.kind, "info": feature_set.info, **(extra_meta or {})}
        (tmp / META).write_text(
            json.dumps(meta, ensure_ascii=False, sort_keys=True, indent=1), encoding="utf-8"
        )
        _flush_to_disk(tmp)
        os.rename(tmp, directory)
        return True
    except OSError:
        if (directory / META).is_file():  # another writer finished first
            return False
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load_feature_set(directory: str | Path) -> FeatureSet:
    directory = Path(directory)
    meta = json.loads((directory / META).read_text(encoding="utf-8"))
    tables = {table: feather.read_table(directory / f"{table}.arrow").to_pydict() for table in TABLES}
    return FeatureSet(kind=meta["kind"], info=meta["info"], **tables)


def is_saved(directory: str | Path) -> bool:
    return (Path(directory) / META).is_file()


def _flush_to_disk(folder: Path) -> None:
    # Without fsync a crash right after the rename could leave a complete-looking folder whose
    # files are still empty on disk.
    for path in folder.iterdir():
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())
