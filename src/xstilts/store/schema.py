"""The results store's tables: statuses, throughput columns, the SQL schema and its versions.

Shared by the writer (store.sqlite) and the checks every opener runs (store.access).
"""

from __future__ import annotations

import functools
import sqlite3

TRIAL_STATUSES = ("running", "done", "failed", "diverged")
# A finished trial is never run again; a failed one is (its error may have been transient).
FINISHED_STATUSES = frozenset({"done", "diverged"})
THROUGHPUT_FIELDS = (
    "examples_per_s", "real_tokens_per_s", "padded_tokens_per_s", "steps_per_s", "wall_s",
    "peak_memory_bytes", "flops", "mfu", "examples", "steps", "flops_per_s", "peak_flops_start", "peak_flops_end",
)
# Columns added after version 1, per table: an older store lacks them; a writer adds them, a
# reader reads them as NULL. Version 2: FLOP/s and the matmul probe at phase start and end;
# version 3: each score's sampling error over its evaluated examples.
ADDED_COLUMNS = {"phases": ("flops_per_s", "peak_flops_start", "peak_flops_end"), "scores": ("sampling_se",)}

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS trials (
    trial_id TEXT PRIMARY KEY,
    params TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ({", ".join(repr(s) for s in TRIAL_STATUSES)})),
    error TEXT,
    predictions_dir TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
);
CREATE TABLE IF NOT EXISTS phases (
    key TEXT PRIMARY KEY,
    phase TEXT NOT NULL,
    task TEXT NOT NULL,
    computed INTEGER NOT NULL,
    status TEXT NOT NULL,
    seconds REAL,
    estimate_s REAL,
    {", ".join(f"{name} REAL" for name in THROUGHPUT_FIELDS)},
    meta TEXT NOT NULL DEFAULT '{{}}',
    recorded_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS trial_phases (
    trial_id TEXT NOT NULL REFERENCES trials(trial_id),
    phase_key TEXT NOT NULL REFERENCES phases(key),
    position INTEGER NOT NULL,
    computed INTEGER NOT NULL,
    seconds REAL,
    PRIMARY KEY (trial_id, phase_key)
);
CREATE TABLE IF NOT EXISTS scores (
    trial_id TEXT NOT NULL REFERENCES trials(trial_id),
    target_task TEXT NOT NULL,
    language TEXT NOT NULL,
    metric TEXT NOT NULL,
    selection TEXT NOT NULL,
    value REAL,
    sampling_se REAL,
    PRIMARY KEY (trial_id, target_task, language, metric, selection)
);
CREATE TABLE IF NOT EXISTS curves (
    phase_key TEXT NOT NULL,
    step INTEGER NOT NULL,
    train_loss REAL,
    dev_score REAL,
    PRIMARY KEY (phase_key, step)
);
CREATE TABLE IF NOT EXISTS calibrations (
    key TEXT PRIMARY KEY,
    seconds_per_step REAL NOT NULL,
    description TEXT NOT NULL,
    measured_at TEXT NOT NULL
);
"""


@functools.lru_cache(maxsize=1)
def expected_columns() -> dict[str, set[str]]:
    """Table -> column names of the schema this code writes (read back from SQLite itself)."""
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(SCHEMA)
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        columns = {t: {row[1] for row in db.execute(f"PRAGMA table_info({t})")} for t in tables}
    finally:
        db.close()
    for table, added in ADDED_COLUMNS.items():  # optional: see ADDED_COLUMNS
        columns[table] -= set(added)
    return columns


def present_columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def add_later_columns(db: sqlite3.Connection) -> None:
    """Bring an older store's tables up to this schema (ALTER TABLE inside the caller's transaction)."""
    for table, added in ADDED_COLUMNS.items():
        present = present_columns(db, table)
        for name in added:
            if name not in present:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} REAL")
