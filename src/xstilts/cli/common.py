"""Options shared by several subcommands."""

from __future__ import annotations

import os
from pathlib import Path

from xstilts.errors import ConfigError

DATA_DIR_HELP = "Data folder laid out like xtreme-mini (default: $XSTILTS_DATA_DIR, else ../shared/data/xtreme-mini)."


def resolve_data_dir(option: Path | None) -> Path:
    path = option or Path(os.environ.get("XSTILTS_DATA_DIR", "../shared/data/xtreme-mini"))
    if not path.is_dir():
        raise ConfigError("--data-dir", f"data dir not found: {path}")
    return path
