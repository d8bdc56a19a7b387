"""Filter a store frame with ``key=value`` clauses and write it as table, CSV, Parquet or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from xstilts.errors import ConfigError
from xstilts.io import atomic_path, atomic_write_text


def _clause(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError("--where", f"expected key=value, got {text!r}")
    return key.strip(), value.strip()


def _matches(column: pd.Series, value: str) -> pd.Series:
    """Numbers compare as numbers (``learning_rate=3e-5`` matches 3e-05), the rest as text."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        try:
            return column == float(value)
        except ValueError:
            return pd.Series(False, index=column.index)
    return column.astype(str) == value


def filter_frame(frame: pd.DataFrame, where: Sequence[str]) -> pd.DataFrame:
    """Rows matching every clause. An unknown column is a ConfigError naming it."""
    keep = pd.Series(True, index=frame.index)
    for key, value in map(_clause, where):
        if key not in frame.columns:
            raise ConfigError(key, f"not a column; columns: {', '.join(frame.columns)}", source="--where")
        keep &= _matches(frame[key], value)
    return frame[keep].reset_index(drop=True)


def _table_text(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "(no rows)\n"
    return frame.to_string(index=False, float_format=lambda x: f"{x:.4g}") + "\n"


def _csv_text(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False)


def _json_text(frame: pd.DataFrame) -> str:
    return frame.to_json(orient="records", indent=1) + "\n"


TEXT_FORMATS: dict[str, Callable[[pd.DataFrame], str]] = {"table": _table_text, "csv": _csv_text, "json": _json_text}
FORMATS = (*TEXT_FORMATS, "parquet")


def export_frame(frame: pd.DataFrame, fmt: str, out: Path | None) -> str | None:
    """Write ``frame`` to ``out`` (atomically) or, for text formats without ``out``, return the text."""
    if fmt not in FORMATS:
        raise ConfigError("--format", f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        if out is None:
            raise ConfigError("--out", "parquet is binary: name a file with --out")
        with atomic_path(out) as tmp:
            frame.to_parquet(tmp, index=False)
        return None
    text = TEXT_FORMATS[fmt](frame)
    if out is None:
        return text
    atomic_write_text(out, text)
    return None
