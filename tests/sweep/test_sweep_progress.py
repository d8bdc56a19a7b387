"""The progress table's arithmetic: step rate and ETA per phase, labels, plain-log fallback."""

from __future__ import annotations

import io
from types import SimpleNamespace

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


def test_labels_name_the_study_variables_and_other_grid_keys_only():
    assert trial_label(trial({"intermediate_task": "none", "seed": 2})) == "baseline seed=2"
    # The sweep's fixed target overrides are the same for every trial: not in the label.
    long_settings = ";".join(f"targets.panx.key{i}=1" for i in range(30))
    label = trial_label(trial({"intermediate_task": "sst2", "batch_size": 16, "learning_rate": 3e-5, "seed": 0,
                               "target_settings": long_settings,
                               "grid": {"intermediate.task": "sst2", "targets.xnli.train.learning_rate": 1e-05}}))
    assert label == "sst2 bs=16 lr=3e-05 seed=0 [xnli.learning_rate=1e-05]"
    assert len(trial_label(trial({"intermediate_task": "sst2", "grid": {f"k{i}": i for i in range(20)}}))) == 56


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def board_for(*trials_, clock=None):
    out = io.StringIO()
    return out, ProgressBoard(list(trials_), console=Console(file=out), clock=clock or Clock())


def test_without_a_terminal_status_changes_are_short_lines():
    clock = Clock()
    out, board = board_for(trial({"intermediate_task": "none", "seed": 0}), clock=clock)
    with board:
        board.set_status("abc", "running")
        clock.now += 75
        board.set_status("abc", "failed", error="RuntimeError: boom\nTraceback ...")
    assert out.getvalue().splitlines() == ["[abc] baseline seed=0: started",
                                           "[abc] baseline seed=0: failed in 0:01:15 (1/1): RuntimeError: boom"]


def test_without_a_terminal_each_training_phase_is_printed_once_and_evaluation_is_quiet():
    clock = Clock()
    out, board = board_for(trial({"intermediate_task": "none", "seed": 0}), clock=clock)
    with board:
        board.set_status("abc", "running")
        board.on_event("abc", {"event": "phase", "phase": "target", "task": "pawsx", "time": 1.0})
        board.on_event("abc", {"event": "step", "phase": "target", "task": "pawsx", "step": 1, "total": 4,
                               "loss": 0.71, "time": 1.0})
        board.on_event("abc", {"event": "step", "phase": "target", "task": "pawsx", "step": 2, "total": 4, "time": 2.0})
        board.on_event("abc", {"event": "eval", "phase": "zero_shot", "task": "pawsx", "language": "de", "time": 3.0})
        board.set_status("abc", "done")
    assert out.getvalue().splitlines() == ["[abc] baseline seed=0: started",
                                           "[abc] baseline seed=0: target pawsx 1/4 loss 0.71",
                                           "[abc] baseline seed=0: done in 0:00:00 (1/1)"]


def test_a_silent_trial_gets_a_heartbeat_line_with_step_loss_rate_and_etas():
    clock = Clock()
    t = Trial("abcdef0123456789", (), {"intermediate_task": "sst2", "batch_size": 8, "learning_rate": 1e-5, "seed": 0},
              (SimpleNamespace(phase="intermediate", task="sst2", batch_size=8),))
    out, board = board_for(t, Trial("other", (), {"intermediate_task": "none", "seed": 0}, ()), clock=clock)
    with board:
        board.set_status("other", "done (earlier)")
        board.set_status(t.trial_id, "running")
        for step in range(1, 11):
            board.on_event(t.trial_id, {"event": "step", "phase": "intermediate", "task": "sst2", "step": step,
                                        "total": 40, "loss": 0.5, "time": 100.0 + step})
        board.refresh()
        clock.now += 61
        board.refresh()
        board.refresh()  # once a minute, not once a refresh
    lines = out.getvalue().splitlines()
    assert lines[0] == "sweep: 1 trial(s) finished in an earlier run (done), not rerun"
    assert lines[-1] == ("[abcdef01] sst2 bs=8 lr=1e-05 seed=0: intermediate sst2 10/40 loss 0.5 8.0 ex/s ETA 0:00:30 "
                         "(1/2 done, ETA ?)")
    assert len(lines) == 4


def test_the_sweep_eta_follows_the_trials_finished_in_this_run():
    clock = Clock()
    trials_ = [Trial(name, (), {"intermediate_task": "none", "seed": i}, ()) for i, name in enumerate("abcd")]
    _, board = board_for(*trials_, clock=clock)
    board.set_status("a", "done (earlier)")
    assert board.eta_s(clock.now) is None
    board.set_status("b", "running")
    clock.now += 100
    board.set_status("b", "done")
    assert board.eta_s(clock.now) == pytest.approx(200.0)  # 100 s per trial, two left
