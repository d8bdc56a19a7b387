"""The --smoke variant of the mini-study, end to end: sweep, store, report (issue: 'In CI')."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import yaml

from xstilts.cli import main

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.mark.slow
def test_smoke_study_writes_a_report(tmp_path, data_dir, monkeypatch, capsys):
    monkeypatch.setenv("XSTILTS_CACHE_DIR", str(tmp_path / "cache"))
    base = yaml.safe_load((CONFIGS / "mini-study-base.yaml").read_text())
    base["data_dir"] = str(data_dir)
    (tmp_path / "mini-study-base.yaml").write_text(yaml.safe_dump(base))
    smoke = yaml.safe_load((CONFIGS / "mini-study-smoke.yaml").read_text())
    smoke["overrides"].update({"work_dir": str(tmp_path / "work"), "store": str(tmp_path / "results.sqlite")})
    (tmp_path / "mini-study-smoke.yaml").write_text(yaml.safe_dump(smoke))
    (tmp_path / "mini-study.yaml").write_text((CONFIGS / "mini-study.yaml").read_text())

    out = tmp_path / "report"
    assert main(["study", str(tmp_path / "mini-study.yaml"), "--smoke", "--out", str(out), "--resamples", "200"]) == 0
    captured = capsys.readouterr()
    progress = captured.err.splitlines()  # not a TTY here: plain progress lines on stderr
    assert 3 <= len(progress) < 40 and all(len(line) < 120 for line in progress), progress
    assert len(captured.out.splitlines()) <= 3  # the summary: sweep finished, report written

    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        statuses = sorted(row[0] for row in db.execute("select status from trials"))
        tasks = {row[0] for row in db.execute("select distinct target_task from scores")}
    assert statuses == ["done", "done", "done"]  # baseline + 2 grid points
    assert tasks == {"xnli", "panx", "tatoeba", "bucc2018"}
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "anli" in html and "<img" in html
    assert (out / "report.md").read_text(encoding="utf-8").startswith("# ")
    notes = yaml.safe_load((out / "study-notes.yaml").read_text(encoding="utf-8"))
    assert notes["trials"].startswith("3 of the sweep's 3 trials finished")
    # keep_trained_models: false — the models are gone once scored, the predictions stay.
    work = tmp_path / "work"
    assert not any((work / "intermediate").iterdir()) and not any((work / "target").iterdir())
    assert len(list((work / "zero_shot").glob("*/DONE.json"))) == 3 * 2  # xnli, panx
    assert len(list((work / "retrieval").glob("*/DONE.json"))) == 3 * 2  # tatoeba, bucc2018

    # --report-only reports what is stored and runs nothing (a long study can be looked at early).
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        db.execute("DELETE FROM trials WHERE trial_id = (SELECT trial_id FROM trials ORDER BY created_at DESC LIMIT 1)")
    again = tmp_path / "interim"
    assert main(["study", str(tmp_path / "mini-study.yaml"), "--smoke", "--report-only", "--out", str(again),
                 "--resamples", "200"]) == 0
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        assert db.execute("select count(*) from trials").fetchone()[0] == 2
    assert yaml.safe_load((again / "study-notes.yaml").read_text())["trials"].startswith("2 of the sweep's 3 trials")
    assert (again / "report.html").is_file()
