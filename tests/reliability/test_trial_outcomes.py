"""How ``xstilts run`` records a trial that diverges or crashes (not bad input: a result).

A sweep continuing past a diverged trial is in test_crash_injection.py
(test_sweep_continues_past_a_diverged_trial).
"""

from __future__ import annotations

import json
import math
import sqlite3

from xstilts.pipeline import phases

from reliability_helpers import DIVERGING_LR, phase_folders, run_cli


def _stored(store) -> tuple[list, list, list]:
    with sqlite3.connect(store) as db:
        trials = db.execute("SELECT status, error FROM trials").fetchall()
        phase_rows = db.execute("SELECT p.phase, p.status, p.meta, tp.computed FROM phases p "
                                "JOIN trial_phases tp ON tp.phase_key = p.key").fetchall()
        scores = db.execute("SELECT * FROM scores").fetchall()
    return trials, phase_rows, scores


def test_diverging_intermediate_is_stored_as_diverged_with_its_step_and_last_finite_loss(run_config, capsys):
    folder = run_config.parent
    diverge = [f"intermediate.train.learning_rate={DIVERGING_LR}", "intermediate.train.warmup_ratio=0"]
    code, _ = run_cli(capsys, "run", run_config, *diverge)
    assert code == 0  # a diverged trial is a result of the study, not an error
    trials, phase_rows, scores = _stored(folder / "results.sqlite")
    assert [status for status, _ in trials] == ["diverged"] and scores == []
    [(phase, status, meta, computed)] = phase_rows  # no target phase ran
    meta = json.loads(meta)
    assert (phase, status, computed) == ("intermediate", "diverged", 1)
    assert meta["diverged_step"] == meta["steps"] + 1 >= 2
    assert math.isfinite(meta["last_finite_loss"]) and 0 < meta["last_finite_loss"] < 10
    [folder_of_phase] = phase_folders(folder / "work")
    done = json.loads((folder_of_phase / "DONE.json").read_text())["record"]
    assert done["status"] == "diverged" and done["meta"]["diverged_step"] == meta["diverged_step"]

    # A rerun reuses the diverged phase instead of diverging again.
    code, _ = run_cli(capsys, "run", run_config, *diverge)
    trials, phase_rows, _ = _stored(folder / "results.sqlite")
    assert code == 0 and [status for status, _ in trials] == ["diverged"]
    assert [(p, s, c) for p, s, _, c in phase_rows] == [("intermediate", "diverged", 0)]


def test_a_crashing_trial_is_stored_as_failed_and_exits_1(run_config, monkeypatch, capsys):
    def crash(*args, **kwargs):
        raise RuntimeError("injected crash in the target phase")

    monkeypatch.setattr(phases, "target", crash)
    code, _ = run_cli(capsys, "run", run_config, "intermediate.task=none")
    assert code == 1
    trials, _, scores = _stored(run_config.parent / "results.sqlite")
    [(status, error)] = trials
    assert status == "failed" and "injected crash in the target phase" in error and scores == []
