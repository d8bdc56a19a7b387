"""Output paths that cannot be written: one clear line, exit code 2, the store left intact.

Tests run as root, where permission bits block nothing, so unwritable paths are made the way
they also happen to users: a regular file where a folder is expected, or (mid-run) a write
that fails with ENOSPC / EACCES injected into ``os.replace`` (every atomic write's last step),
or with the error safetensors raised when a checkpoint filled a real (1 MiB tmpfs) disk, or an
SQLite error inside the store's transaction.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

import pytest
from safetensors import SafetensorError

from xstilts.results import CurvePoint, PhaseRecord, ScoreRow, TrialResult
from xstilts.store.sqlite import ResultStore
from xstilts.train import checkpoint

from reliability_helpers import integrity, phase_folders, run_cli, store_rows


def _file_in_the_way(folder: Path) -> Path:
    blocker = folder / "blocker"
    blocker.write_text("a file where a folder is expected", encoding="utf-8")
    return blocker


UNWRITABLE = {  # name -> (override, key named in the error)
    "work dir below a file": ("work_dir={blocker}/work", "'work_dir'"),
    "store below a file": ("store={blocker}/results.sqlite", "'store'"),
    "store is a folder": ("store={folder}", "'store'"),
}


@pytest.mark.parametrize("case", UNWRITABLE, ids=list(UNWRITABLE))
def test_unwritable_output_path_exits_2_before_anything_is_trained(case, run_config, capsys):
    folder = run_config.parent
    override, key = UNWRITABLE[case]
    blocker = _file_in_the_way(folder)
    code, lines = run_cli(capsys, "run", run_config, override.format(blocker=blocker, folder=folder))
    assert code == 2
    assert len(lines) == 1 and key in lines[0], lines
    assert not (folder / "results.sqlite").is_file()
    assert phase_folders(folder / "work") == []


def test_unwritable_cache_dir_exits_2_before_anything_is_trained(run_config, monkeypatch, capsys):
    folder = run_config.parent
    monkeypatch.setenv("XSTILTS_CACHE_DIR", str(_file_in_the_way(folder) / "cache"))
    code, lines = run_cli(capsys, "run", run_config)
    assert code == 2
    assert len(lines) == 1 and "'model.cache_dir'" in lines[0], lines
    assert not (folder / "results.sqlite").is_file()


EARLIER = TrialResult(
    trial_id="earlier-trial", params={"intermediate_task": "none", "seed": 0}, status="done",
    phases=[PhaseRecord(key="target-earlier", phase="target", task="pawsx", computed=True, status="done",
                        seconds=1.5, meta={"steps": 8})],
    scores=[ScoreRow("pawsx", "en", "accuracy", 61.5), ScoreRow("pawsx", "de", "accuracy", 55.0)],
    curves=[CurvePoint("target-earlier", 8, 0.69, 61.5)],
)


def _replace_failing_below(monkeypatch, folder: Path, error_number: int) -> None:
    real_replace = os.replace

    def replace(source, destination, *args, **kwargs):
        if Path(destination).resolve().is_relative_to(folder.resolve()):
            raise OSError(error_number, os.strerror(error_number), str(destination))
        return real_replace(source, destination, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


def _safetensors_disk_full(monkeypatch, folder: Path, error_number: int) -> None:
    def save(model_or_tensors, filename, *args, **kwargs):
        raise SafetensorError(f"Error while serializing: I/O error: {os.strerror(error_number)} (os error {error_number})")

    # Full models go through save_model, models with frozen weights through save_file.
    monkeypatch.setattr(checkpoint, "save_model", save)
    monkeypatch.setattr(checkpoint, "save_file", save)


WRITE_FAILURES = {  # name -> (how writes fail, errno, the error line names the file)
    "disk full": (_replace_failing_below, errno.ENOSPC, True),
    "permission denied": (_replace_failing_below, errno.EACCES, True),
    "disk full inside safetensors": (_safetensors_disk_full, errno.ENOSPC, False),
}


@pytest.mark.parametrize("failure", WRITE_FAILURES, ids=list(WRITE_FAILURES))
def test_output_write_failing_mid_run_exits_2_and_leaves_the_store_intact(failure, run_config, monkeypatch, capsys):
    folder = run_config.parent
    store, work = folder / "results.sqlite", folder / "work"
    with ResultStore(store) as db:
        db.record(EARLIER)
    before = store_rows(store)
    break_writes, error_number, names_file = WRITE_FAILURES[failure]
    break_writes(monkeypatch, work, error_number)
    # Evaluating after step 1 makes the first write under work_dir (best weights) come early.
    code, lines = run_cli(capsys, "run", run_config, "intermediate.train.eval_every=1")
    assert code == 2
    errors = [line for line in lines if line.startswith("error:")]
    assert errors == [lines[-1]], lines[-5:]
    assert os.strerror(error_number) in errors[0] and (str(work) in errors[0]) == names_file
    assert_earlier_rows_intact(store, before)
    assert not list(work.rglob("DONE*")) and not list(work.rglob(".tmp-*"))


def assert_earlier_rows_intact(store: Path, before: dict) -> None:
    """Only the new trial's 'running' row was added: resumable, not recorded as failed."""
    after = store_rows(store)
    assert integrity(store) == "ok"
    assert {t: rows for t, rows in after.items() if t != "trials"} == {t: rows for t, rows in before.items() if t != "trials"}
    new_trials = [row for row in after["trials"] if row not in before["trials"]]
    assert set(before["trials"]) <= set(after["trials"])
    assert len(new_trials) == 1 and new_trials[0][2] == "running"


def test_a_store_write_failing_mid_transaction_exits_2_then_a_rerun_records_without_recomputing(
        run_config, monkeypatch, capsys):
    folder = run_config.parent
    store = folder / "results.sqlite"
    with ResultStore(store) as db:
        db.record(EARLIER)
    before = store_rows(store)
    real_replace_scores = ResultStore._replace_scores

    def replace_scores_then_fail(self, db, result):  # some rows written, then SQLite gives up
        real_replace_scores(self, db, result)
        raise sqlite3.OperationalError("database or disk is full")

    with monkeypatch.context() as patch:
        patch.setattr(ResultStore, "_replace_scores", replace_scores_then_fail)
        code, lines = run_cli(capsys, "run", run_config, "intermediate.task=none")
    assert code == 2
    errors = [line for line in lines if line.startswith("error:")]
    assert errors == [lines[-1]] and "database or disk is full" in errors[0] and str(store) in errors[0]
    assert_earlier_rows_intact(store, before)

    code, _ = run_cli(capsys, "run", run_config, "intermediate.task=none")
    assert code == 0
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT COUNT(*) FROM trials WHERE status = 'done'").fetchone()[0] == 2
        assert db.execute("SELECT SUM(computed) FROM trial_phases").fetchone()[0] == 1  # only EARLIER's phase
