"""BENCHMARKS.md: a header that explains the columns, then one table row per figure per run.

Rows are appended: the file is read, the new rows are added after the table, and the whole
text is written to a temp file and renamed over the old one, so a reader never sees half a
row and an interrupted run leaves the previous file intact.
"""

from __future__ import annotations

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

HEADER = """# Benchmarks

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
- **setup** — what exactly ran on each side (model, batch geometry, steps, padding policy).
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


def append_rows(path: Path, run: RunInfo, figures: Sequence[FigureResult]) -> None:
    """Add one row per figure to ``path``, creating it (header and table head) if absent."""
    text = path.read_text(encoding="utf-8") if path.is_file() else HEADER
    if text and not text.endswith("\n"):
        text += "\n"
    if table_head().splitlines()[0] not in text:
        text += ("\n" if text.strip() else "") + table_head()
    rows = "".join(format_row(run, figure) + "\n" for figure in figures)
    atomic_write_text(path, text + rows)
