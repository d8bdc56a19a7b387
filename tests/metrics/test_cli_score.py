import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from xstilts.cli import main

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "xtreme_layout"
PRED, GOLD = str(FIXTURE / "predictions"), str(FIXTURE / "labels")


def test_score_json_prints_exactly_the_two_score_dicts(capsys):
    assert main(["score", "--predictions", PRED, "--gold", GOLD, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert list(printed) == ["overall_scores", "detailed_scores"]
    # classification = (550/7 + 60) / 2 = 485/7, hand-computed in test_layout.py
    assert printed["overall_scores"]["classification"] == pytest.approx(485 / 7, abs=1e-9)
    assert printed["detailed_scores"]["mlqa"]["exact_match"]["zh"] == 0.0


def test_score_table_shows_languages_tasks_and_groups(capsys):
    assert main(["score", "--predictions", PRED, "--gold", GOLD]) == 0
    out = capsys.readouterr().out
    for text in ("pawsx", "tydiqa", "classification", "qa", "69.29", "75.16", "85.71"):
        assert text in out  # 485/7 = 69.29, 156250/2079 = 75.16, mlqa avg F1 600/7 = 85.71


def test_score_missing_file_exits_2_with_one_line(tmp_path, capsys):
    (tmp_path / "pred" / "pawsx").mkdir(parents=True)
    (tmp_path / "gold" / "pawsx").mkdir(parents=True)
    args = ["score", "--predictions", str(tmp_path / "pred"), "--gold", str(tmp_path / "gold")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "test-de.tsv: file not found" in err


def test_score_subprocess_exit_codes_and_json_keys(tmp_path):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    # The same entry point as the installed ``xstilts`` script, run as its own process.
    entry = "import sys; from xstilts.cli import main; sys.exit(main())"
    command = [sys.executable, "-c", entry, "score", "--predictions", PRED, "--gold"]
    run = {"capture_output": True, "text": True, "env": env, "timeout": 120}
    done = subprocess.run([*command, GOLD, "--json"], **run)
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)) == {"overall_scores", "detailed_scores"}
    failed = subprocess.run([*command, str(tmp_path / "absent")], **run)
    assert failed.returncode == 2
    assert "not a folder" in failed.stderr
