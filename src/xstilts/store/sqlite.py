"""The results store: one SQLite file (WAL), written only by the sweep driver (one writer per
store, enforced by a lock file; see store.access).

Every write runs in one transaction and is an idempotent upsert keyed by a content address
(trial id; phase key; (trial, task, language, metric, selection); (phase key, step);
calibration key), so recording the same TrialResult twice leaves the store unchanged and a
driver killed mid-write leaves either the old rows or the new ones, never a mix.

A phase's row describes how its artifact was *computed*: when a later trial reuses the
artifact (``computed=False``), the computing record's time and throughput are kept.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from xstilts.errors import DataError
from xstilts.results import PhaseRecord, TrialResult
from xstilts.store.schema import (FINISHED_STATUSES, THROUGHPUT_FIELDS, TRIAL_STATUSES, ADDED_COLUMNS, SCHEMA,
                                  add_later_columns, expected_columns, present_columns)
from xstilts.store.access import (SCHEMA_VERSION, ReadOnlyHandle, WriterLock, check_schema, check_store_target,
                                  connect_readonly, integrity_problem)
from xstilts.store.frames import curves_frame_from, phases_frame_from, results_frame_from

# A later record never replaces a better-finished one: a late "failed" (a second driver, a Ray
# retry) must not erase a "done" trial's scores. Equal rank replaces (a rerun's fresh scores).
_STATUS_RANK = {"failed": 0, "diverged": 1, "done": 2}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class ResultStore:
    """The sweep's results.

    ``ResultStore(path)`` is the store's one writer: it takes ``<path>.lock`` (a second writer
    elsewhere is refused, naming the holder's pid) and creates the file and tables when missing.
    ``ResultStore(path, readonly=True)`` reads an existing store and writes nothing at all.
    Either way a file that is not an xstilts store is a DataError naming it.
    """

    def __init__(self, path: str | Path, *, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        self._lock: WriterLock | None = None
        self._reader: ReadOnlyHandle | None = None
        if readonly:
            self._open_readonly()
            return
        check_store_target(self.path)
        if self.path.is_file() and self.path.stat().st_size:
            # Another program's file is refused before a lock file appears beside it.
            self._open_readonly(fresh_ok=True)
            self._reader.close()
            self._reader = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = WriterLock(self.path)
        try:
            self._open_writer()
        except BaseException:
            self._lock.release()
            raise

    def _open_readonly(self, fresh_ok: bool = False) -> None:
        self._reader = connect_readonly(self.path)
        self._db = self._reader.db
        try:
            check_schema(self._db, self.path, expected_columns(), fresh_ok=fresh_ok)
            problem = integrity_problem(self._db)
        except BaseException:
            self._reader.close()
            raise
        if problem:
            self._reader.close()
            raise DataError(self.path, None, f"results store is damaged ({problem})")

    def _open_writer(self) -> None:
        # Autocommit mode: transactions are opened explicitly (BEGIN IMMEDIATE) in _write().
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        try:
            # Checked before anything is written: another program's file is never touched.
            version = check_schema(self._db, self.path, expected_columns(), fresh_ok=True)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            # executescript() would commit implicitly; one statement at a time keeps this atomic.
            with self._write() as db:
                for statement in filter(str.strip, SCHEMA.split(";")):
                    db.execute(statement)
                add_later_columns(db)
                if version < SCHEMA_VERSION:  # a new store, or one written before versioning
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as err:
            self._db.close()
            raise DataError(self.path, None, f"cannot use the results store: {err}") from None
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
        else:
            self._db.close()
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> "ResultStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        if self.readonly:
            raise PermissionError(f"{self.path} was opened read-only")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- trials ----------------------------------------------------------------------------

    def mark_running(self, trial_id: str, params: dict[str, Any]) -> None:
        """Note that a trial has started (again). A finished trial keeps its status."""
        with self._write() as db:
            db.execute(
                "INSERT INTO trials (trial_id, params, status, attempts, created_at, started_at) "
                "VALUES (?, ?, 'running', 1, ?, ?) "
                "ON CONFLICT (trial_id) DO UPDATE SET status = 'running', params = excluded.params, "
                "attempts = trials.attempts + 1, started_at = excluded.started_at, error = NULL "
                f"WHERE trials.status NOT IN ({_sql_list(FINISHED_STATUSES)})",
                (trial_id, _json(params), _now(), _now()),
            )

    def record(self, result: TrialResult) -> bool:
        """Write a finished (done, failed or diverged) trial with its phases, scores and curves.

        Returns False, writing nothing, when the stored trial finished better (a ``failed`` or
        ``diverged`` record for a ``done`` trial, a ``failed`` one for a ``diverged`` trial).
        """
        if result.status not in TRIAL_STATUSES[1:]:
            raise ValueError(f"cannot record trial {result.trial_id} with status {result.status!r}")
        with self._write() as db:
            row = db.execute("SELECT status FROM trials WHERE trial_id = ?", (result.trial_id,)).fetchone()
            if row and _STATUS_RANK.get(row[0], -1) > _STATUS_RANK[result.status]:
                return False
            self._upsert_trial(db, result)
            for position, phase in enumerate(result.phases):
                self._upsert_phase(db, phase)
                self._link_phase(db, result.trial_id, position, phase)
            self._replace_scores(db, result)
            db.executemany(
                "INSERT INTO curves (phase_key, step, train_loss, dev_score) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (phase_key, step) DO UPDATE SET train_loss = excluded.train_loss, "
                "dev_score = excluded.dev_score",
                [(c.phase_key, c.step, c.train_loss, c.dev_score) for c in result.curves],
            )
        return True

    def _upsert_trial(self, db: sqlite3.Connection, result: TrialResult) -> None:
        db.execute(
            "INSERT INTO trials (trial_id, params, status, error, predictions_dir, created_at, finished_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (trial_id) DO UPDATE SET params = excluded.params, status = excluded.status, "
            "error = excluded.error, predictions_dir = excluded.predictions_dir, "
            "finished_at = excluded.finished_at",
            (result.trial_id, _json(result.params), result.status, result.error,
             result.predictions_dir, _now(), _now()),
        )

    def _upsert_phase(self, db: sqlite3.Connection, phase: PhaseRecord) -> None:
        throughput = [getattr(phase.throughput, name) if phase.throughput else None for name in THROUGHPUT_FIELDS]
        columns = ("key", "phase", "task", "computed", "status", "seconds", "estimate_s",
                   *THROUGHPUT_FIELDS, "meta", "recorded_at")
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:] if c != "estimate_s")
        db.execute(
            f"INSERT INTO phases ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
            f"ON CONFLICT (key) DO UPDATE SET {updates}, "
            "estimate_s = COALESCE(excluded.estimate_s, phases.estimate_s) "
            # A reuse record must not erase how the artifact was computed.
            "WHERE NOT (phases.computed = 1 AND excluded.computed = 0)",
            (phase.key, phase.phase, phase.task, int(phase.computed), phase.status, phase.seconds,
             phase.estimate_s, *throughput, _json(phase.meta), _now()),
        )

    def _link_phase(self, db: sqlite3.Connection, trial_id: str, position: int, phase: PhaseRecord) -> None:
        db.execute(
            "INSERT INTO trial_phases (trial_id, phase_key, position, computed, seconds) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (trial_id, phase_key) DO UPDATE SET position = excluded.position, "
            "computed = excluded.computed, seconds = excluded.seconds",
            (trial_id, phase.key, position, int(phase.computed), phase.seconds),
        )

    def _replace_scores(self, db: sqlite3.Connection, result: TrialResult) -> None:
        # A trial's scores are one set: rows a rerun no longer produces must go.
        db.execute("DELETE FROM scores WHERE trial_id = ?", (result.trial_id,))
        db.executemany(
            "INSERT INTO scores (trial_id, target_task, language, metric, selection, value, sampling_se) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (trial_id, target_task, language, metric, selection) "
            "DO UPDATE SET value = excluded.value, sampling_se = excluded.sampling_se",
            [(result.trial_id, s.target_task, s.language, s.metric, s.selection, s.value, s.sampling_se)
             for s in result.scores],
        )

    def scores_without_sampling_error(self) -> pd.DataFrame:
        """Score rows of finished trials that lack a sampling error, with the zero-shot or
        retrieval phase that wrote them (phase name and key): what ``store.upgrade`` fills."""
        return self._read(
            "SELECT s.trial_id, s.target_task, s.language, s.metric, s.selection, p.phase, p.key AS phase_key "
            "FROM scores s JOIN trials t ON t.trial_id = s.trial_id "
            "JOIN trial_phases tp ON tp.trial_id = s.trial_id JOIN phases p ON p.key = tp.phase_key "
            "WHERE s.sampling_se IS NULL AND s.value IS NOT NULL AND p.task = s.target_task "
            f"AND p.phase IN ('zero_shot', 'retrieval') AND t.status IN ({_sql_list(sorted(FINISHED_STATUSES))})")

    def set_sampling_errors(self, rows: list[tuple[float, str, str, str, str, str]]) -> None:
        """(sampling_se, trial_id, target_task, language, metric, selection) rows, in one transaction."""
        with self._write() as db:
            db.executemany("UPDATE scores SET sampling_se = ? WHERE trial_id = ? AND target_task = ? AND "
                           "language = ? AND metric = ? AND selection = ?", rows)

    def trial_statuses(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT trial_id, status FROM trials").fetchall())

    def finished_trial_ids(self) -> frozenset[str]:
        """Trials whose results are stored for good (a sweep skips them)."""
        return frozenset(tid for tid, status in self.trial_statuses().items() if status in FINISHED_STATUSES)

    # --- calibrations ----------------------------------------------------------------------

    def calibration(self, key: str) -> float | None:
        """Cached seconds per optimizer step for a calibration key, or None."""
        row = self._db.execute("SELECT seconds_per_step FROM calibrations WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def save_calibration(self, key: str, seconds_per_step: float, description: dict[str, Any]) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO calibrations (key, seconds_per_step, description, measured_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET seconds_per_step = excluded.seconds_per_step, "
                "description = excluded.description, measured_at = excluded.measured_at",
                (key, seconds_per_step, _json(description), _now()),
            )

    # --- frames ----------------------------------------------------------------------------

    def _read(self, sql: str) -> pd.DataFrame:
        return pd.read_sql_query(sql, self._db)

    def results_frame(self) -> pd.DataFrame:
        """One row per (trial, target task, language, metric, selection); see store.frames."""
        return results_frame_from(
            trials=self._read(
                f"SELECT trial_id, params, status FROM trials WHERE status IN ({_sql_list(TRIAL_STATUSES[1:])}) "
                "ORDER BY created_at, trial_id"),
            trial_phases=self._read(
                "SELECT tp.trial_id, p.phase, p.task, p.seconds, p.examples_per_s, p.real_tokens_per_s, p.mfu, "
                f"{self._v2_columns()}, p.meta FROM trial_phases tp JOIN phases p ON p.key = tp.phase_key"),
            scores=self._read("SELECT trial_id, target_task, language, metric, value AS score, selection, "
                              f"{self._later_column('scores', 'sampling_se')} FROM scores"),
        )

    def _v2_columns(self) -> str:
        """The version-2 phase columns, or NULLs in a version-1 store opened read-only."""
        return ", ".join(self._later_column("phases", name, prefix="p.") for name in ADDED_COLUMNS["phases"])

    def _later_column(self, table: str, name: str, prefix: str = "") -> str:
        """``name``, or ``NULL AS name`` in an older store opened read-only that lacks it."""
        return f"{prefix}{name}" if name in present_columns(self._db, table) else f"NULL AS {name}"

    def curves_frame(self) -> pd.DataFrame:
        """Training curves of every trial's phases (a shared phase's curve appears per trial)."""
        return curves_frame_from(self._read(
            "SELECT tp.trial_id, c.phase_key, c.step, c.train_loss, c.dev_score "
            "FROM curves c JOIN trial_phases tp ON tp.phase_key = c.phase_key "
            "ORDER BY tp.trial_id, tp.position, c.step"))

    def overlap_dropped(self) -> dict[str, int]:
        """Examples the overlap guard left out of training (overlap: drop), per read, as the
        training phases recorded them."""
        found: dict[str, int] = {}
        for (meta,) in self._db.execute("SELECT meta FROM phases WHERE meta LIKE '%overlap_dropped%'"):
            found.update(json.loads(meta).get("overlap_dropped") or {})
        return found

    def phases_frame(self) -> pd.DataFrame:
        """One row per phase: the planner's estimate beside the measured time."""
        return phases_frame_from(self._read(
            "SELECT p.key AS phase_key, p.phase, p.task, p.status, p.computed, p.estimate_s, p.seconds, "
            "p.examples_per_s, p.real_tokens_per_s, p.steps, "
            "(SELECT GROUP_CONCAT(tp.trial_id) FROM trial_phases tp WHERE tp.phase_key = p.key) AS trial_ids "
            "FROM phases p ORDER BY p.recorded_at, p.key"))


@contextlib.contextmanager
def store_read_errors(path: str | Path) -> Iterator[None]:
    """Damage SQLite finds only while reading (a corrupt page) as one line naming the store."""
    try:
        yield
    except sqlite3.DatabaseError as err:
        raise DataError(path, None, f"cannot read the results store: {err}") from None


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _sql_list(values) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values))
