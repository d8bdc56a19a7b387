"""The progress table's arithmetic: step rate and ETA per phase, labels, plain-log fallback."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from xstilts.sweep.progress import ProgressBoard, TrialRow, trial_label
from xstilts.sweep.trials import Trial


def test_eta_follows_the_step_rate_within_a_phase():
    row = TrialRow("t", "label")
    row.apply({"phase": "intermediate", "task": "sst2", "step": 5, "total": 25, "time": 100.0})
    assert row.eta_s is None  # one event: no rate yet
    row.apply({"phase": "intermediate", "task": "sst2", "step": 9, "total": 25, "time": 102.0})
    assert row.steps_per_s == pytest.approx(2.0)  # steps resumed before the first event do not count
    assert row.eta_s == pytest.approx(8.0)
    row.apply({"phase": "target", "task": "xnli", "step": 1, "total": 4, "time": 103.0})
    assert (row.phase, row.step, row.total_steps, row.eta_s) == ("target xnli", 1, 4, None)


def test_events_without_steps_keep_the_phase_visible():
    row = TrialRow("t", "label")
    row.apply({"event": "eval", "phase": "zero_shot", "task": "pawsx", "language": "de", "time": 1.0})
    assert (row.phase, row.step, row.eta_s) == ("zero_shot pawsx", None, None)


def trial(params) -> Trial:
    return Trial(trial_id="abc", overrides=(), params=params, phases=())


def test_labels_name_the_study_variables():
    assert trial_label(trial({"intermediate_task": "none", "seed": 2})) == "baseline seed=2"
    label = trial_label(trial({"intermediate_task": "sst2", "batch_size": 16, "learning_rate": 3e-5, "seed": 0,
                               "target_settings": "targets.xnli.train.learning_rate=1e-05"}))
    assert label == "sst2 bs=16 lr=3e-05 seed=0 [targets.xnli.train.learning_rate=1e-05]"


def test_without_a_terminal_status_changes_are_printed_as_lines():
    out = io.StringIO()
    with ProgressBoard([trial({"intermediate_task": "none", "seed": 0})], console=Console(file=out)) as board:
        board.set_status("abc", "running")
        board.set_status("abc", "failed", error="RuntimeError: boom\nTraceback ...")
    assert out.getvalue().splitlines() == ["[abc] baseline seed=0: running",
                                           "[abc] baseline seed=0: failed: RuntimeError: boom"]


def test_without_a_terminal_each_new_phase_is_printed_once():
    out = io.StringIO()
    with ProgressBoard([trial({"intermediate_task": "none", "seed": 0})], console=Console(file=out)) as board:
        board.on_event("abc", {"phase": "target", "task": "pawsx", "step": 1, "total": 4, "time": 1.0})
        board.on_event("abc", {"phase": "target", "task": "pawsx", "step": 2, "total": 4, "time": 2.0})
        board.on_event("abc", {"phase": "zero_shot", "task": "pawsx", "time": 3.0})
        board.set_status("abc", "done")
    assert out.getvalue().splitlines() == ["[abc] baseline seed=0: target pawsx (0/1 trials finished)",
                                           "[abc] baseline seed=0: zero_shot pawsx (0/1 trials finished)",
                                           "[abc] baseline seed=0: done"]


def test_trials_finished_in_an_earlier_run_count_as_finished():
    out = io.StringIO()
    rows = [trial({"intermediate_task": "none", "seed": 0}), Trial("def", (), {"intermediate_task": "none", "seed": 1}, ())]
    with ProgressBoard(rows, console=Console(file=out)) as board:
        board.set_status("def", "done (earlier)")
        board.on_event("abc", {"phase": "target", "task": "pawsx", "time": 1.0})
    assert out.getvalue().splitlines()[-1] == "[abc] baseline seed=0: target pawsx (1/2 trials finished)"
