"""Who may open a store and how: read-only readers that write nothing, a schema version checked
on open, one writer per store, and a finished trial that a later record cannot undo."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from xstilts.errors import DataError, StoreBusyError
from xstilts.results import TrialResult
from xstilts.store.access import SCHEMA_VERSION, lock_path
from xstilts.store.sqlite import ResultStore

from store_records import scores, sst2_trial


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def written_store(path: Path) -> Path:
    with ResultStore(path) as store:
        store.record(sst2_trial())
    return path


def test_a_reader_writes_nothing_beside_the_store(tmp_path):
    path = written_store(tmp_path / "results.sqlite")
    before = files_in(tmp_path), path.read_bytes()
    with ResultStore(path, readonly=True) as store:
        assert len(store.results_frame()) == 2
        with pytest.raises(PermissionError):
            store.record(sst2_trial("t2"))
    assert (files_in(tmp_path), path.read_bytes()) == before  # no -wal, no -shm, not one byte changed


def test_a_reader_sees_a_running_writers_committed_rows(tmp_path):
    path = tmp_path / "results.sqlite"
    with ResultStore(path) as writer:
        writer.record(sst2_trial())
        with ResultStore(path, readonly=True) as reader:
            assert reader.trial_statuses() == {"t-sst2": "done"}


def test_a_new_store_carries_the_schema_version(tmp_path):
    path = written_store(tmp_path / "results.sqlite")
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_store_written_before_versioning_is_read_and_upgraded_only_by_a_writer(tmp_path):
    path = written_store(tmp_path / "results.sqlite")
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 0")
    with ResultStore(path, readonly=True) as store:
        assert store.trial_statuses() == {"t-sst2": "done"}
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 0
    with ResultStore(path):
        pass
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_store_without_the_later_columns_reads_them_as_null_and_a_writer_adds_them(tmp_path):
    path = written_store(tmp_path / "results.sqlite")
    with sqlite3.connect(path) as db:  # a version-1 store: no FLOP/s, probe or sampling-error columns
        for table, column in (("scores", "sampling_se"), ("phases", "flops_per_s"), ("phases", "peak_flops_start"),
                              ("phases", "peak_flops_end")):
            db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        db.execute("PRAGMA user_version = 1")
    with ResultStore(path, readonly=True) as store:
        frame = store.results_frame()
    assert len(frame) == 2 and frame["sampling_se"].isna().all() and frame["peak_flops_start"].isna().all()
    with ResultStore(path) as store:
        with_error = sst2_trial("t-new")
        with_error.scores = [replace(row, sampling_se=2.5) for row in with_error.scores]
        store.record(with_error)
        frame = store.results_frame().set_index("trial_id")
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    assert (frame.loc["t-new", "sampling_se"] == 2.5).all() and frame.loc["t-sst2", "sampling_se"].isna().all()


def test_a_newer_schema_is_refused_by_readers_and_writers(tmp_path):
    path = written_store(tmp_path / "results.sqlite")
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 7")
    for readonly in (True, False):
        with pytest.raises(DataError, match="schema version 7"):
            ResultStore(path, readonly=readonly)


def test_a_writer_never_touches_another_programs_database(tmp_path):
    path = tmp_path / "contacts.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE contacts (name TEXT)")
    before = path.read_bytes()
    with pytest.raises(DataError, match="not an xstilts results store"):
        ResultStore(path)
    assert path.read_bytes() == before and files_in(tmp_path) == {"contacts.sqlite"}


# --- one writer per store -----------------------------------------------------------------------

HOLDER = textwrap.dedent("""
    import sys, time
    from xstilts.store.sqlite import ResultStore
    with ResultStore(sys.argv[1]):
        print("holding", flush=True)
        time.sleep(60)
""")


def test_a_second_writer_is_refused_naming_the_holder_and_the_first_keeps_its_results(tmp_path):
    path = written_store(tmp_path / "results.sqlite")
    rows_before = sqlite3.connect(path).execute("SELECT * FROM scores ORDER BY language").fetchall()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert lock_path(path).read_text().strip() == str(holder.pid)
        start = time.monotonic()
        with pytest.raises(StoreBusyError, match=f"pid {holder.pid}"):
            ResultStore(path)
        assert time.monotonic() - start < 5  # a live writer is refused at once, not waited for
        with ResultStore(path, readonly=True) as reader:  # reading stays possible meanwhile
            assert reader.trial_statuses() == {"t-sst2": "done"}
    finally:
        holder.kill()
        holder.wait()
    assert sqlite3.connect(path).execute("SELECT * FROM scores ORDER BY language").fetchall() == rows_before
    with ResultStore(path):  # the killed holder's lock went with it
        pass


def test_the_second_driver_is_refused_through_the_cli_in_one_line(tmp_path, capsys):
    from xstilts.cli import main

    path = written_store(tmp_path / "results.sqlite")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        holder.stdout.readline()
        # The writers a CLI command opens (run, sweep run, sweep plan) all go through ResultStore;
        # `results` is a reader and still works.
        assert main(["results", str(path), "--format", "csv"]) == 0
        with pytest.raises(StoreBusyError) as err:
            ResultStore(path)
        assert len(str(err.value).splitlines()) == 1
    finally:
        holder.kill()
        holder.wait()


def test_one_process_may_open_its_own_store_twice(tmp_path):
    path = tmp_path / "results.sqlite"
    with ResultStore(path) as first, ResultStore(path) as second:
        first.record(sst2_trial())
        assert second.trial_statuses() == {"t-sst2": "done"}
    assert lock_path(path).read_text() == ""  # released: no stale pid


# --- a finished trial stays finished -----------------------------------------------------------

def test_a_late_failed_record_does_not_replace_a_done_trial(tmp_path):
    with ResultStore(tmp_path / "results.sqlite") as store:
        assert store.record(sst2_trial()) is True
        before = store.results_frame()
        late = TrialResult(trial_id="t-sst2", params={"intermediate_task": "sst2"}, status="failed", error="late")
        assert store.record(late) is False
        diverged = sst2_trial(status="diverged")
        diverged.scores = []
        assert store.record(diverged) is False
        assert store.trial_statuses() == {"t-sst2": "done"}
        assert store.results_frame().equals(before)


def test_a_done_record_replaces_a_failed_one_and_a_rerun_replaces_done_scores(tmp_path):
    with ResultStore(tmp_path / "results.sqlite") as store:
        store.record(TrialResult(trial_id="t-sst2", params={}, status="failed", error="boom"))
        assert store.record(sst2_trial()) is True
        rerun = sst2_trial()
        rerun.scores = scores([("en", 81.0)])
        assert store.record(rerun) is True
        assert store.results_frame()[["language", "score"]].values.tolist() == [["en", 81.0]]


def test_a_writer_waits_for_a_reader_instead_of_refusing(tmp_path, monkeypatch):
    import xstilts.store.access as access

    path = written_store(tmp_path / "results.sqlite")
    reader = ResultStore(path, readonly=True)  # holds the shared lock while open
    monkeypatch.setattr(access, "READER_GRACE_S", 0.3)
    with pytest.raises(StoreBusyError):
        ResultStore(path)  # the reader never lets go within the grace period
    reader.close()
    with ResultStore(path):
        pass
    assert os.path.exists(lock_path(path))
