"""Output paths that cannot be written: one clear line, exit code 2, the store left intact.

Tests run as root, where permission bits block nothing, so unwritable paths are made the way
they also happen to users: a regular file where a folder is expected, or (mid-run) a write
that fails with ENOSPC / EACCES injected into ``os.replace`` (every atomic write's last step).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from xstilts.results import CurvePoint, PhaseRecord, ScoreRow, TrialResult
from xstilts.store.sqlite import ResultStore

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


def _replace_failing_below(folder: Path, error_number: int):
    real_replace = os.replace

    def replace(source, destination, *args, **kwargs):
        if Path(destination).resolve().is_relative_to(folder):
            raise OSError(error_number, os.strerror(error_number), str(destination))
        return real_replace(source, destination, *args, **kwargs)

    return replace


@pytest.mark.parametrize("error_number", [errno.ENOSPC, errno.EACCES], ids=["disk full", "permission denied"])
def test_output_write_failing_mid_run_exits_2_and_leaves_the_store_intact(error_number, run_config, monkeypatch, capsys):
    folder = run_config.parent
    store, work = folder / "results.sqlite", folder / "work"
    with ResultStore(store) as db:
        db.record(EARLIER)
    before = store_rows(store)
    monkeypatch.setattr(os, "replace", _replace_failing_below(work.resolve(), error_number))
    # Evaluating after step 1 makes the first write under work_dir (best weights) come early.
    code, lines = run_cli(capsys, "run", run_config, "intermediate.train.eval_every=1")
    assert code == 2
    errors = [line for line in lines if line.startswith("error:")]
    assert errors == [lines[-1]], lines[-5:]
    assert os.strerror(error_number) in errors[0] and str(work) in errors[0]
    after = store_rows(store)
    assert integrity(store) == "ok"
    assert {t: rows for t, rows in after.items() if t != "trials"} == {t: rows for t, rows in before.items() if t != "trials"}
    new_trials = [row for row in after["trials"] if row not in before["trials"]]
    assert set(before["trials"]) <= set(after["trials"])
    assert len(new_trials) == 1 and new_trials[0][2] == "running"  # resumable, not recorded as failed
    assert not list(work.rglob("DONE*")) and not list(work.rglob(".tmp-*"))
