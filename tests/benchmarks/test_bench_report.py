"""BENCHMARKS.md rows: well-formed table rows, appended atomically under one header, and the summary on top."""

from __future__ import annotations

import re

from benchmarks.hf_baseline import work_ceiling
from benchmarks.mfu import format_mfu
from benchmarks.report import (
    COLUMNS,
    HEADER,
    SUMMARY_END,
    SUMMARY_START,
    RunInfo,
    append_rows,
    format_row,
    format_target,
)
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
    assert text.startswith("# Benchmarks\n\n" + SUMMARY_START)
    assert HEADER.split("## Log", 1)[1] in text
    assert text.count("| date | machine |") == 1
    rows = [line for line in text.splitlines() if line.startswith("| 2026-01-01")]
    assert [_cells(row)[3] for row in rows] == ["training throughput — pawsx", "second", "third"]
    assert not list(tmp_path.glob(".*.tmp"))  # the temp file was renamed, not left behind


def test_append_keeps_the_file_and_starts_a_table_where_none_is(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\nhand-written notes", encoding="utf-8")
    append_rows(path, RUN, [_figure()])
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["# Benchmarks", "", SUMMARY_START]
    notes = lines.index("hand-written notes")
    assert lines[notes - 2] == SUMMARY_END
    assert lines[notes + 2].startswith("| date | machine |") and lines[notes + 3].startswith("|---|")
    assert lines[notes + 4].startswith("| 2026-01-01")


def _summary_rows(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    block = lines[lines.index(SUMMARY_START):lines.index(SUMMARY_END)]
    return [_cells(line) for line in block if line.startswith("| ") and not line.startswith("| figure")]


def test_summary_opens_the_file_with_the_latest_row_of_each_figure_and_its_mfu(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    mfu = format_mfu({"xstilts": 0.031, "Trainer": 0.012})
    append_rows(path, RUN, [_figure(), _figure(name="eval", spread=summarize([1.2] * 5))])
    later = RunInfo("2026-02-01 00:00 UTC", "Some CPU", "torch 2.x", "python -m benchmarks.run")
    ceiling = work_ceiling(2.5e9, 1.0e9)[1]
    append_rows(path, later, [_figure(spread=summarize([2.6] * 5), setup=f"batch 32; MFU (median; x) {mfu}; probe; {ceiling}")])
    rows = _summary_rows(path)
    assert [row[0] for row in rows] == ["training throughput — pawsx", "eval"]
    assert rows[0][1:7] == ["2.60×", "2.60× – 2.60× (n=5)", "≥ 1.50×", "pass", "xstilts 3.1 %, Trainer 1.2 %", "2.50×"]
    assert rows[0][7] == "2026-02-01 00:00 UTC" and rows[1][5] == rows[1][6] == "—" and rows[1][4] == "fail"
    assert path.read_text(encoding="utf-8").count(SUMMARY_START) == 1  # regenerated in place


def test_rows_go_to_the_end_of_the_log_table_not_after_a_later_section(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    append_rows(path, RUN, [_figure()])
    path.write_text(path.read_text(encoding="utf-8") + "\n## BUCC section\n\nother text\n", encoding="utf-8")
    append_rows(path, RUN, [_figure(name="second")])
    lines = path.read_text(encoding="utf-8").splitlines()
    second = next(i for i, line in enumerate(lines) if line.startswith("| 2026-01-01") and "second" in line)
    assert lines.index("## BUCC section") > second
    assert lines[-1] == "other text"
