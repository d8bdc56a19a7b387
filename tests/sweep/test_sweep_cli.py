"""``xstilts sweep plan|run``: tables, JSON, exit codes, and bad input that writes nothing."""

from __future__ import annotations

import json

import pytest

from xstilts.cli import main
from xstilts.store.sqlite import ResultStore

from sweep_helpers import FAKE, SMALL_GRID, write_sweep


def test_plan_without_calibration_prints_the_table_and_touches_no_store(tmp_path, capsys):
    path = write_sweep(tmp_path, SMALL_GRID)
    store = tmp_path / "results.sqlite"
    code = main(["sweep", "plan", str(path), "--no-calibrate", "--tokens-per-s", "500",
                 "--pipeline", FAKE, "--store", str(store)])
    out = capsys.readouterr().out
    assert code == 0
    assert "3 trials" in out and "baseline seed=0" in out and "sst2 bs=4" in out
    assert "estimated device-hours" in out and "assumed 500 padded tokens/s" in out
    assert not store.exists()


def test_plan_json_calibrates_into_the_store(tmp_path, capsys):
    path = write_sweep(tmp_path, SMALL_GRID, overrides={"fake.step_s": 0.01})
    store = tmp_path / "results.sqlite"
    assert main(["sweep", "plan", str(path), "--json", "--pipeline", FAKE, "--store", str(store)]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["summary"]["trials"] == 3 and plan["summary"]["phases_to_compute"] == 4 + 5 + 5
    assert plan["summary"]["rate"].startswith("calibrated")
    estimates = [p["seconds_per_step"] for t in plan["trials"] for p in t["phases"] if p["steps"]]
    assert all(0.005 < s < 0.2 for s in estimates)  # about the fake's 0.01 s sleep per step
    with ResultStore(store) as db:
        assert db.trial_statuses() == {}  # calibrations only


@pytest.mark.parametrize(
    "grid, key",
    [
        ({"intermediate.task": []}, "grid"),
        ({"intermediate.bogus": [1]}, "intermediate.bogus"),
        ({"intermediate.train.batch_size": ["many"]}, "intermediate.train.batch_size"),
    ],
)
def test_bad_sweeps_exit_2_naming_the_key_and_write_nothing(tmp_path, capsys, grid, key):
    path = write_sweep(tmp_path, grid)
    store = tmp_path / "results.sqlite"
    for command in ("plan", "run"):
        code = main(["sweep", command, str(path), "--pipeline", FAKE, "--store", str(store)])
        assert code == 2
        assert f"'{key}" in capsys.readouterr().err
    assert not store.exists() and not (tmp_path / "work").exists()


def test_an_unknown_pipeline_module_is_a_config_error(tmp_path, capsys):
    path = write_sweep(tmp_path, SMALL_GRID)
    assert main(["sweep", "plan", str(path), "--pipeline", "no_such_pipeline_module"]) == 2
    assert "--pipeline" in capsys.readouterr().err


def test_run_then_results(tmp_path, capsys):
    path = write_sweep(tmp_path, SMALL_GRID)
    store = tmp_path / "results.sqlite"
    assert main(["sweep", "run", str(path), "--workers", "2", "--pipeline", FAKE, "--store", str(store)]) == 0
    assert "3 done" in capsys.readouterr().out
    assert main(["results", str(store), "--view", "scores", "--where", "language=ja", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("trial_id,intermediate_task,batch_size") and len(lines) == 1 + 3


def test_run_with_failures_exits_1(tmp_path, capsys):
    path = write_sweep(tmp_path, SMALL_GRID, overrides={"fake.fail_task": "sst2"})
    code = main(["sweep", "run", str(path), "--pipeline", FAKE, "--no-calibrate",
                 "--store", str(tmp_path / "results.sqlite")])
    assert code == 1
    assert "1 done, 2 failed" in capsys.readouterr().out


def test_run_progress_without_a_terminal_is_a_few_short_lines(tmp_path, capsys):
    # Fixed target overrides (like the smoke study's) used to be repeated in every progress line.
    fixed = {f"targets.{task}.{key}": value for task in ("xnli", "pawsx")
             for key, value in (("max_length", 24), ("train.learning_rate", 2e-5), ("train.epochs", 1))}
    path = write_sweep(tmp_path, SMALL_GRID, overrides={**fixed, "fake.step_s": 0.2})  # slow enough to be seen
    store = str(tmp_path / "results.sqlite")
    assert main(["sweep", "run", str(path), "--workers", "2", "--pipeline", FAKE, "--store", store]) == 0
    progress = capsys.readouterr().err.splitlines()
    assert 3 * 2 <= len(progress) < 40  # at least a start and an end line per trial
    assert all(len(line) < 120 for line in progress), max(progress, key=len)
    assert sum(": done in " in line for line in progress) == 3
    assert any(": intermediate sst2 1/" in line for line in progress)
    # Rerun: every trial was finished earlier, which is one line, not one per trial.
    assert main(["sweep", "run", str(path), "--pipeline", FAKE, "--store", store]) == 0
    assert capsys.readouterr().err.splitlines() == ["sweep: 3 trial(s) finished in an earlier run (done), not rerun"]
