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
# Columns added by schema version 2 (FLOP/s and the matmul probe at phase start and end): a
# version-1 store lacks them; a writer adds them, a reader reads them as NULL.
V2_PHASE_COLUMNS = ("flops_per_s", "peak_flops_start", "peak_flops_end")

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
    columns["phases"] -= set(V2_PHASE_COLUMNS)  # optional: see V2_PHASE_COLUMNS
    return columns


def add_v2_columns(db: sqlite3.Connection) -> None:
    present = {row[1] for row in db.execute("PRAGMA table_info(phases)")}
    for name in V2_PHASE_COLUMNS:
        if name not in present:
            db.execute(f"ALTER TABLE phases ADD COLUMN {name} REAL")
