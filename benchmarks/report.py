"""BENCHMARKS.md: a summary table of the latest row of every figure, then the dated log.

The log is one table row per figure per run, appended below the log's last row (sections other
tools add after the table stay where they are). The summary at the top is regenerated from the
log on every append: the newest row of each figure with its ratio, target, verdict and MFU
(taken from the row's setup text, where ``benchmarks.mfu`` writes it). The whole text is written
to a temp file and renamed over the old one, so a reader never sees half a row and an
interrupted run leaves the previous file intact.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.stats import SYMBOLS, FigureResult, Target
from xstilts.io import atomic_write_text

COLUMNS = (
    "date",
    "machine",
    "versions",
    "figure",
    "ratio",
    "spread (min–max)",
    "target",
    "result",
    "setup",
    "command",
)

SUMMARY_START = "<!-- summary: regenerated from the log by benchmarks/report.py on every run; edits are lost -->"
SUMMARY_END = "<!-- end of summary -->"
SUMMARY_COLUMNS = ("figure", "latest", "spread (min–max)", "target", "result", "MFU", "work ceiling", "date", "command")
MFU_PATTERN = re.compile(r"MFU \(median[^)]*\) ([^;|]+)")
CEILING_PATTERN = re.compile(r"work ceiling ([0-9.]+×)")  # benchmarks.hf_baseline.work_ceiling

HEADER = """# Benchmarks

## Log

Appended by `python -m benchmarks.run [--quick] [--only NAME ...]` (see `benchmarks/`). Each
figure compares two things measured side by side in the same run, interleaved repetition by
repetition, so that load from other processes falls on both sides of each ratio alike.

Columns:

- **date** — when the run started (UTC).
- **machine** — CPU model, logical cores, torch intra-op threads (and the OpenMP wait policy),
  GPU (if any).
- **versions** — torch, transformers, accelerate.
- **figure** — what is compared; the name says which task and encoder.
- **ratio** — the median over the repetitions (≥ 5, each after warm-up) of the per-repetition
  ratio. A few figures are counts (padding waste, sweep reuse) or rates (BUCC mining speed):
  the unit says so.
- **spread (min–max)** — the smallest and largest per-repetition value.
- **target** — the goal the median is held to; `—` for figures that only inform.
- **result** — `pass`/`fail` against the target on the median; `info` without a target.
- **setup** — what exactly ran on each side (model, batch geometry, steps, padding policy); for
  throughput figures, each side's MFU (model FLOPs of the real tokens, PaLM's accounting, over a
  matmul peak probed in the side's precision at the figure's start and end; `benchmarks/mfu.py`).
- **command** — the exact command that produced the row.

Timings on a shared machine are noisy; compare rows from the same machine and command only.

"""


def _format_ratio(value: float) -> str:
    return f"{value:.2f}×"


def _format_percent(value: float) -> str:
    return f"{100 * value:.1f} %"


def _format_rate(value: float) -> str:
    return f"{value:,.0f} pairs/s"


FORMATTERS: dict[str, Callable[[float], str]] = {
    "x": _format_ratio,
    "%": _format_percent,
    "pairs/s": _format_rate,
}


@dataclass(frozen=True)
class RunInfo:
    date: str
    machine: str
    versions: str
    command: str


def format_target(target: Target | None, unit: str) -> str:
    if target is None:
        return "—"
    shown = target.label or FORMATTERS[unit](target.bound)
    return f"{SYMBOLS[target.op]} {shown}"


def _cell(text: str) -> str:
    # A pipe would split the cell and a newline would end the row.
    return text.replace("|", "\\|").replace("\n", " ").strip()


def format_row(run: RunInfo, figure: FigureResult) -> str:
    fmt = FORMATTERS[figure.unit]
    spread = figure.spread
    cells = (
        run.date,
        run.machine,
        run.versions,
        figure.name,
        fmt(spread.median),
        f"{fmt(spread.low)} – {fmt(spread.high)} (n={len(spread.samples)})",
        format_target(figure.target, figure.unit),
        figure.verdict,
        figure.setup,
        f"`{run.command}`",
    )
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def table_head() -> str:
    return "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS) + "\n"


def _split_cells(row: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip()[1:-1])]


def _log_rows(lines: list[str]) -> tuple[int | None, int]:
    """(index of the log's table head, index just after its last row); (None, len) without a log table."""
    head = table_head().splitlines()[0]
    if head not in lines:
        return None, len(lines)
    end = lines.index(head) + 1
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return lines.index(head), end


def summary_table(lines: list[str]) -> str:
    """The newest log row of each figure, in the order figures first appeared."""
    start, end = _log_rows(lines)
    latest: dict[str, dict[str, str]] = {}
    for line in lines[start + 2:end] if start is not None else []:
        cells = _split_cells(line)
        if len(cells) == len(COLUMNS):
            row = dict(zip(COLUMNS, cells, strict=True))
            latest[row["figure"]] = row  # later rows are newer
    rows = []
    for name, row in latest.items():
        found, ceiling = MFU_PATTERN.search(row["setup"]), CEILING_PATTERN.search(row["setup"])
        cells = (name, row["ratio"], row["spread (min–max)"], row["target"], row["result"],
                 found.group(1).strip() if found else "—", ceiling.group(1) if ceiling else "—",
                 row["date"], row["command"])
        rows.append("| " + " | ".join(cells) + " |")
    head = "| " + " | ".join(SUMMARY_COLUMNS) + " |\n|" + "---|" * len(SUMMARY_COLUMNS)
    intro = ("## Summary\n\nThe latest row of every figure in the log below (MFU: model FLOPs utilisation "
             "of each side, `benchmarks/mfu.py`; — where the row predates it; work ceiling: the Trainer "
             "side's model FLOPs over those of the real tokens, the most a side that pads nothing gains "
             "from padding alone, `benchmarks/hf_baseline.py`).\n")
    return "\n".join([SUMMARY_START, intro, head, *rows, SUMMARY_END])


def _with_summary(lines: list[str]) -> list[str]:
    summary = summary_table(lines).splitlines()
    if SUMMARY_START in lines and SUMMARY_END in lines:
        start, end = lines.index(SUMMARY_START), lines.index(SUMMARY_END)
        return lines[:start] + summary + lines[end + 1:]
    # Right under the title, so the file opens with it.
    at = next((i + 1 for i, line in enumerate(lines) if line.startswith("# ")), 0)
    return lines[:at] + [""] + summary + ([""] if at < len(lines) and lines[at].strip() else []) + lines[at:]


def append_rows(path: Path, run: RunInfo, figures: Sequence[FigureResult]) -> None:
    """Add one row per figure to the log in ``path`` (creating the file if absent) and regenerate the summary."""
    text = path.read_text(encoding="utf-8") if path.is_file() else HEADER
    lines = text.splitlines()
    start, end = _log_rows(lines)
    if start is None:
        while lines and not lines[-1].strip():
            lines.pop()
        lines += ([""] if lines else []) + table_head().splitlines()
        end = len(lines)
    lines[end:end] = [format_row(run, figure) for figure in figures]
    atomic_write_text(path, "\n".join(_with_summary(lines)) + "\n")
