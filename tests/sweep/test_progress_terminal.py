"""The rich display on a terminal: one row per running trial (label, phase, step/total, loss,
examples/s, ETA) under the sweep-total line, drawn to a forced-terminal console and read back."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from xstilts.sweep.progress import ProgressBoard
from xstilts.sweep.trials import Trial

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # colours and the cursor moves of each redraw


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def trial(trial_id: str, params: dict) -> Trial:
    return Trial(trial_id=trial_id, overrides=(), params=params, phases=())


def terminal(width: int) -> tuple[io.StringIO, Console]:
    out = io.StringIO()
    return out, Console(file=out, force_terminal=True, width=width, color_system="standard")


def last_frame(out: io.StringIO) -> list[str]:
    """The lines of the newest redraw: Live moves the cursor up over the previous frame first."""
    frames = ANSI.sub("", out.getvalue().replace("\x1b[1A", "\0")).split("\0")
    return [line.rstrip() for line in frames[-1].replace("\r", "").split("\n") if line.strip()]


def run_board(width: int) -> tuple[list[str], str]:
    clock = Clock()
    out, console = terminal(width)
    trials = [trial("aaaa1111bbbb", {"intermediate_task": "sst2", "batch_size": 16, "learning_rate": 3e-5, "seed": 0}),
              trial("cccc2222dddd", {"intermediate_task": "none", "seed": 1})]
    with ProgressBoard(trials, console=console, clock=clock) as board:
        assert board._live is not None  # the terminal view, not the plain lines
        board.set_status("aaaa1111bbbb", "running")
        board.on_event("aaaa1111bbbb", {"event": "step", "phase": "intermediate", "task": "sst2", "step": 5,
                                        "total": 25, "loss": 0.53, "examples_per_s": 12.5, "time": 100.0})
        board.on_event("aaaa1111bbbb", {"event": "step", "phase": "intermediate", "task": "sst2", "step": 9,
                                        "total": 25, "loss": 0.5, "examples_per_s": 12.5, "time": 102.0})
        clock.now += 1.0
        board.refresh()
        frame = last_frame(out)
    return frame, out.getvalue()


def test_a_running_trial_is_one_row_with_phase_step_loss_rate_and_eta():
    frame, _ = run_board(width=120)
    rows = [line for line in frame if line.startswith("aaaa1111")]
    assert len(rows) == 1, frame
    cells = rows[0].split()
    # 4 steps in 2 s: 16 steps left take 8 s.
    assert cells == ["aaaa1111", "sst2", "bs=16", "lr=3e-05", "seed=0", "intermediate", "sst2", "9/25", "0.5",
                     "12.5", "0:00:08"], rows[0]
    assert not any("cccc2222" in line for line in frame)  # a pending trial has no row
    assert frame[-1] == "sweep: 0/2 done, 1 running, ETA ?"
    assert frame[0].split() == ["trial", "params", "phase", "step", "loss", "ex/s", "ETA"]


@pytest.mark.parametrize("width", [60, 80])
def test_on_a_narrow_terminal_the_numbers_stay_and_the_label_gives_way(width):
    frame, _ = run_board(width=width)
    (row,) = [line for line in frame if line.startswith("aaaa1111")]
    assert len(row) <= width and row.split()[-4:] == ["9/25", "0.5", "12.5", "0:00:08"], row
    assert "…" in row  # the label or phase was shortened, not wrapped onto a second line


def test_a_finished_trial_leaves_the_table_and_prints_one_line():
    clock = Clock()
    out, console = terminal(120)
    with ProgressBoard([trial("aaaa1111bbbb", {"intermediate_task": "none", "seed": 0})], console=console,
                       clock=clock) as board:
        board.set_status("aaaa1111bbbb", "running")
        clock.now += 65
        board.set_status("aaaa1111bbbb", "done")
        frame = last_frame(out)
    assert "[aaaa1111] baseline seed=0: done in 0:01:05 (1/1)" in ANSI.sub("", out.getvalue())
    assert not any(line.startswith("aaaa1111") for line in frame)
    assert frame[-1] == "sweep: 1/1 done, 0 running, ETA 0:00:00"
