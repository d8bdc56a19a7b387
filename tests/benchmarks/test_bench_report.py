"""BENCHMARKS.md rows: well-formed table rows, appended atomically under one header."""

from __future__ import annotations

import re

from benchmarks.report import COLUMNS, HEADER, RunInfo, append_rows, format_row, format_target
from benchmarks.stats import FigureResult, Target, summarize

RUN = RunInfo("2026-01-01 00:00 UTC", "Some CPU, 2 cores", "torch 2.x", "python -m benchmarks.run --quick")


def _cells(row: str) -> list[str]:
    assert row.startswith("| ") and row.endswith(" |")
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row[1:-1])]


def _figure(**overrides) -> FigureResult:
    values = dict(
        name="training throughput — pawsx",
        spread=summarize([1.8, 2.0, 2.4, 1.9, 2.1]),
        unit="x",
        target=Target(">=", 1.5),
        setup="batch 32",
    )
    return FigureResult(**{**values, **overrides})


def test_row_has_one_cell_per_column_with_the_formatted_numbers():
    cells = dict(zip(COLUMNS, _cells(format_row(RUN, _figure())), strict=True))
    assert len(_cells(format_row(RUN, _figure()))) == len(COLUMNS)
    assert cells["ratio"] == "2.00×"
    assert cells["spread (min–max)"] == "1.80× – 2.40× (n=5)"
    assert cells["target"] == "≥ 1.50×"
    assert cells["result"] == "pass"
    assert cells["command"] == "`python -m benchmarks.run --quick`"


def test_pipes_and_newlines_in_text_cannot_break_the_row():
    row = format_row(RUN, _figure(setup="a | b\nc"))
    assert "\n" not in row
    assert len(_cells(row)) == len(COLUMNS)


def test_percent_and_rate_units_format_their_values():
    waste = _figure(unit="%", spread=summarize([0.012]), target=Target("<=", 0.05))
    cells = dict(zip(COLUMNS, _cells(format_row(RUN, waste)), strict=True))
    assert (cells["ratio"], cells["target"], cells["result"]) == ("1.2 %", "≤ 5.0 %", "pass")
    mining = _figure(unit="pairs/s", spread=summarize([1234.4]), target=None)
    cells = dict(zip(COLUMNS, _cells(format_row(RUN, mining)), strict=True))
    assert (cells["ratio"], cells["target"], cells["result"]) == ("1,234 pairs/s", "—", "info")


def test_target_label_replaces_the_number():
    assert format_target(Target("<=", 1 / 3, label="1/T = 0.33×"), "x") == "≤ 1/T = 0.33×"


def test_append_creates_the_header_once_then_adds_rows(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    append_rows(path, RUN, [_figure()])
    append_rows(path, RUN, [_figure(name="second"), _figure(name="third")])
    text = path.read_text(encoding="utf-8")
    assert text.startswith(HEADER)
    assert text.count("| date | machine |") == 1
    rows = [line for line in text.splitlines() if line.startswith("| 2026-01-01")]
    assert [_cells(row)[3] for row in rows] == ["training throughput — pawsx", "second", "third"]
    assert not list(tmp_path.glob(".*.tmp"))  # the temp file was renamed, not left behind


def test_append_keeps_the_file_and_starts_a_table_where_none_is(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\nhand-written notes", encoding="utf-8")
    append_rows(path, RUN, [_figure()])
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["# Benchmarks", "", "hand-written notes"]
    assert lines[4].startswith("| date | machine |") and lines[5].startswith("|---|")
    assert lines[6].startswith("| 2026-01-01")
