"""Opening a results store safely: what is a store, read-only connections, one writer at a time.

- A store is an SQLite file holding the expected tables; ``PRAGMA user_version`` is its schema
  version (stores written before versioning say 0 and are read as version 1).
- Readers (``results``, ``report``) open it with a ``mode=ro`` URI and write nothing: no table,
  no journal-mode switch and no ``-wal``/``-shm`` files left beside it (see ``connect_readonly``).
- One writer per store: an exclusive ``flock`` on ``<store>.lock``, held for the writer's life,
  whose content is the holder's pid. A second writer is refused naming that pid.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.request import pathname2url

from xstilts.errors import DataError, StoreBusyError
from xstilts.store.schema import expected_columns

SCHEMA_VERSION = 3  # 2: phases gained flops_per_s, peak_flops_start, peak_flops_end; 3: scores.sampling_se
SQLITE_HEADER = b"SQLite format 3\x00"
# A reader holds a shared lock for the second or so it reads; a new writer waits this long for it.
READER_GRACE_S = 10.0
_POLL_S = 0.05


def lock_path(store: Path) -> Path:
    return store.with_name(store.name + ".lock")


def _not_a_store(path: Path, why: str) -> DataError:
    return DataError(path, None, f"not an xstilts results store ({why})")


def check_store_target(path: str | Path) -> None:
    """Cheap checks on where a writer will put its store, for config validation: a folder, an
    existing file that is not SQLite or another program's SQLite is a DataError naming it."""
    path = Path(path)
    if path.is_dir():
        raise DataError(path, None, "is a folder; the results store must be a file")
    if not path.exists():
        return
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except OSError as err:
        raise DataError(path, None, f"cannot read the results store: {err.strerror or err}") from None
    if head and head != SQLITE_HEADER:
        raise _not_a_store(path, "not an SQLite file")
    if head:  # SQLite: its tables (not its integrity, which a writer checks) say whose it is
        handle = connect_readonly(path)
        try:
            check_schema(handle.db, path, expected_columns(), fresh_ok=True)
        finally:
            handle.close()


def check_schema(db: sqlite3.Connection, path: Path, expected: dict[str, set[str]], *, fresh_ok: bool) -> int:
    """The stored schema version after checking the tables (0: a new file when ``fresh_ok``, or a
    store written before versioning, which has the version-1 tables and is read as version 1)."""
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        columns = {t: {row[1] for row in db.execute(f"PRAGMA table_info({t})")} for t in expected if t in tables}
    except sqlite3.DatabaseError as err:
        raise _not_a_store(path, str(err)) from None
    if version > SCHEMA_VERSION:
        raise _not_a_store(path, f"schema version {version}; this xstilts reads version {SCHEMA_VERSION}: upgrade xstilts")
    if not tables and version == 0:
        if fresh_ok:
            return 0
        raise _not_a_store(path, "empty: no tables")
    missing = [t for t in expected if t not in tables or not expected[t] <= columns[t]]
    if missing:
        found = ", ".join(sorted(tables)) or "none"
        raise _not_a_store(path, f"tables {', '.join(missing)} missing or different; it has: {found}")
    return version


def integrity_problem(db: sqlite3.Connection) -> str | None:
    try:
        result = db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as err:
        return str(err)
    return None if result == "ok" else result


@dataclass
class ReadOnlyHandle:
    """A read-only connection and the shared lock (if any) keeping writers out while it reads."""

    db: sqlite3.Connection
    lock_fd: int | None

    def close(self) -> None:
        self.db.close()
        if self.lock_fd is not None:
            os.close(self.lock_fd)  # closing the descriptor drops the shared lock
            self.lock_fd = None


def _shared_lock(store: Path) -> tuple[bool, int | None]:
    """(no writer is running, lock fd to keep). Never creates the lock file: readers write nothing."""
    try:
        fd = os.open(lock_path(store), os.O_RDONLY)
    except OSError:
        return True, None  # no lock file: a store no writer of this version has opened yet
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False, None  # a writer holds it: its -wal/-shm exist and are its own
    return True, fd


def connect_readonly(store: Path) -> ReadOnlyHandle:
    """A ``mode=ro`` connection that leaves nothing beside the file.

    SQLite's read-only connections still create ``-wal``/``-shm`` for a WAL store and leave them.
    When no writer runs and no ``-wal`` is there, the file is complete and cannot change while
    the shared lock is held, so it is opened ``immutable`` (no side files). Otherwise the side
    files already exist (a running or killed writer's) and a plain ``mode=ro`` connection uses them.
    """
    if not store.is_file():
        raise DataError(store, None, "no results store (file not found)" if not store.exists() else "not a file")
    idle, fd = _shared_lock(store)
    wal = store.with_name(store.name + "-wal")
    immutable = idle and not wal.exists()
    uri = f"file:{pathname2url(str(store.resolve()))}?mode=ro" + ("&immutable=1" if immutable else "")
    try:
        db = sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error as err:
        if fd is not None:
            os.close(fd)
        raise DataError(store, None, f"cannot open the results store: {err}") from None
    return ReadOnlyHandle(db, fd)


class WriterLock:
    """The exclusive ``<store>.lock`` of the one process writing a store.

    Held per process: a second ResultStore on the same store in the same process shares it
    (SQLite's transactions already order that process's own writes).
    """

    _held: dict[Path, list[int]] = {}  # resolved store path -> [fd, users]

    def __init__(self, store: Path):
        self.key = store.resolve()
        self.path = lock_path(store)
        self._released = False
        if self.key in self._held:
            self._held[self.key][1] += 1
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            self._acquire(fd, store)
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._held[self.key] = [fd, 1]

    def _acquire(self, fd: int, store: Path) -> None:
        deadline = time.monotonic() + READER_GRACE_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            holder = _holder_pid(fd)
            # A live pid in the file is a writer: refuse now. Otherwise readers hold it briefly.
            if (holder is not None and _alive(holder)) or time.monotonic() > deadline:
                raise StoreBusyError(store, holder)
            time.sleep(_POLL_S)

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        entry = self._held.get(self.key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            del self._held[self.key]
            os.ftruncate(entry[0], 0)  # no stale pid for the next writer to wonder about
            os.close(entry[0])  # closing drops the lock (a killed writer's lock drops with it)


def _holder_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        return int(text) if text.isascii() and text.isdigit() else None
    except OSError:
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
