"""The report's figures. Each function returns a matplotlib Figure built without pyplot.

``matplotlib.figure.Figure`` needs no global state or interactive backend; PNG output goes
through Agg. Every label that comes from data passes through ``plain`` so that a task name
containing ``$`` is drawn as text, not parsed as math.
"""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from scipy import stats

from xstilts.analysis.bootstrap import CONFIDENCE
from xstilts.analysis.frame import THROUGHPUT_COLUMNS
from xstilts.report import formatting as fmt

MEASURE_LABELS = {"examples_per_s": "examples / s", "real_tokens_per_s": "real (non-pad) tokens / s",
                  "device_hours": "device-hours"}
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_GAIN_CMAP = matplotlib.colormaps["RdBu"].with_extremes(bad="#e0e0e0")


def figure_style():
    """rcParams for every report figure (reproducible SVG ids, small type)."""
    return matplotlib.rc_context({"svg.hashsalt": "xstilts", "font.size": 8, "axes.titlesize": 9,
                                  "figure.dpi": 100})


def plain(text: object) -> str:
    """Data text for a matplotlib label: an escaped ``$`` cannot start math mode."""
    return str(text).replace("$", r"\$")


def _symmetric_limit(values: np.ndarray) -> float:
    finite = np.abs(values[np.isfinite(values)])
    return float(finite.max()) if finite.size and finite.max() > 0 else 1.0


def _heatmap(ax, values: pd.DataFrame, notes: pd.DataFrame, title: str) -> None:
    """Diverging colours centred on zero gain; ``notes`` holds the text for each cell."""
    matrix = values.to_numpy(float)
    limit = _symmetric_limit(matrix)
    image = ax.imshow(np.ma.masked_invalid(matrix), cmap=_GAIN_CMAP, vmin=-limit, vmax=limit, aspect="auto")
    for (row, col), note in np.ndenumerate(notes.to_numpy(object)):
        strong = math.isfinite(matrix[row, col]) and abs(matrix[row, col]) > 0.6 * limit
        ax.text(col, row, plain(note), ha="center", va="center", fontsize=7, color="white" if strong else "black")
    ax.set_xticks(range(matrix.shape[1]), [plain(c) for c in values.columns], rotation=30, ha="right")
    ax.set_yticks(range(matrix.shape[0]), [plain(r) for r in values.index])
    ax.set_title(plain(title))
    ax.figure.colorbar(image, ax=ax, label="gain (score points)")


def _grid_note(cell: pd.Series) -> str:
    note = fmt.number(cell["mean_gain"], signed=True)
    if math.isfinite(cell["ci_low"]):
        note += f"\n[{fmt.number(cell['ci_low'], signed=True)}, {fmt.number(cell['ci_high'], signed=True)}]"
    note += f"\n{cell['n_done']}/{cell['n_trials']} done"
    if cell["n_diverged"]:
        note += f", {cell['n_diverged']} diverged"
    return note


def grid_heatmap(grid: pd.DataFrame, task: str) -> Figure:
    """Batch size × learning rate → mean XTREME gain for one intermediate task."""
    rows = grid[grid["intermediate_task"] == task].assign(
        batch=lambda t: t["batch_size"].map(fmt.batch_size), lr=lambda t: t["learning_rate"].map(fmt.learning_rate))
    rows = rows.sort_values(["batch_size", "learning_rate"])
    order = {"index": rows["batch"].unique(), "columns": rows["lr"].unique()}
    values = rows.pivot(index="batch", columns="lr", values="mean_gain").reindex(**order)
    notes = (rows.assign(note=rows.apply(_grid_note, axis=1))
             .pivot(index="batch", columns="lr", values="note").reindex(**order).fillna("no trials"))
    figure = Figure(figsize=(1.6 * len(order["columns"]) + 2.2, 0.8 * len(order["index"]) + 1.4))
    ax = figure.add_subplot()
    _heatmap(ax, values, notes, f"Mean XTREME gain, intermediate task {task}")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("batch size")
    figure.tight_layout()
    return figure


def _fit_band(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares line with the pointwise CI of its mean (textbook OLS band)."""
    slope, intercept = np.polyfit(x, y, 1)
    grid = np.linspace(x.min(), x.max(), 50)
    fitted = intercept + slope * grid
    residual_sd = np.sqrt(((y - (intercept + slope * x)) ** 2).sum() / (len(x) - 2))
    spread = residual_sd * np.sqrt(1 / len(x) + (grid - x.mean()) ** 2 / ((x - x.mean()) ** 2).sum())
    margin = stats.t.ppf(0.5 + CONFIDENCE / 2, len(x) - 2) * spread
    return grid, fitted, fitted - margin, fitted + margin


def _style_maps(gains: pd.DataFrame) -> tuple[dict, dict]:
    palette = matplotlib.colormaps["viridis"]
    batches = sorted(gains["batch_size"].dropna().unique())
    colours = {b: palette(i / max(1, len(batches) - 1)) for i, b in enumerate(batches)}
    tasks = sorted(gains["intermediate_task"].unique())
    return colours, {task: _MARKERS[i % len(_MARKERS)] for i, task in enumerate(tasks)}


def _scatter_legend(figure: Figure, colours: dict, markers: dict) -> None:
    handles = [Line2D([], [], ls="", marker="o", color=c, label=f"batch {fmt.batch_size(b)}")
               for b, c in colours.items()]
    handles += [Line2D([], [], ls="", marker=m, color="grey", label=plain(t)) for t, m in markers.items()]
    handles.append(Line2D([], [], color="black", label=f"OLS fit, {CONFIDENCE:.0%} CI band"))
    figure.legend(handles=handles, loc="outside right center", frameon=False)


def throughput_scatter(gains: pd.DataFrame) -> Figure:
    """Each throughput measure against XTREME gain; colour = batch size, marker = task."""
    colours, markers = _style_maps(gains)
    figure = Figure(figsize=(11, 3.4), layout="constrained")
    for ax, measure in zip(figure.subplots(1, len(THROUGHPUT_COLUMNS)), THROUGHPUT_COLUMNS):
        usable = gains[np.isfinite(gains[measure]) & np.isfinite(gains["xtreme_gain"])]
        for (batch, task), group in usable.groupby(["batch_size", "intermediate_task"]):
            ax.scatter(group[measure], group["xtreme_gain"], color=colours[batch], marker=markers[task],
                       s=18, alpha=0.85, linewidths=0)
        if len(usable) > 2 and np.ptp(usable[measure]) > 0:
            grid, fitted, low, high = _fit_band(usable[measure].to_numpy(float), usable["xtreme_gain"].to_numpy(float))
            ax.plot(grid, fitted, color="black", lw=1)
            ax.fill_between(grid, low, high, color="black", alpha=0.15, lw=0)
        ax.axhline(0, color="grey", lw=0.5, ls=":")
        ax.set_xlabel(f"intermediate {MEASURE_LABELS[measure]}")
        ax.set_ylabel("XTREME gain (points)")
    _scatter_legend(figure, colours, markers)
    return figure


def task_gain_bars(task_table: pd.DataFrame) -> Figure:
    """Mean gain per target task (and XTREME), one bar per intermediate task, with CIs."""
    targets = list(dict.fromkeys(task_table["target_task"]))
    tasks = sorted(task_table["intermediate_task"].unique())
    width = 0.8 / max(1, len(tasks))
    figure = Figure(figsize=(max(5.0, 1.1 * len(targets) * max(1, len(tasks)) ** 0.5 + 2), 3.4), layout="constrained")
    ax = figure.add_subplot()
    for i, task in enumerate(tasks):
        rows = task_table[task_table["intermediate_task"] == task].set_index("target_task").reindex(targets)
        error = np.nan_to_num(np.vstack([rows["mean_gain"] - rows["ci_low"], rows["ci_high"] - rows["mean_gain"]]))
        ax.bar(np.arange(len(targets)) + (i - (len(tasks) - 1) / 2) * width, rows["mean_gain"], width,
               yerr=error, capsize=2, label=plain(task))
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xticks(range(len(targets)), [plain(t) for t in targets], rotation=30, ha="right")
    ax.set_ylabel(f"mean gain, {CONFIDENCE:.0%} CI (points)")
    ax.legend(title="intermediate task", frameon=False, fontsize=7)
    return figure


def task_heatmap(task_table: pd.DataFrame) -> Figure:
    """Paper-style grid: intermediate task × target task → mean gain."""
    targets = list(dict.fromkeys(task_table["target_task"]))
    values = task_table.pivot(index="intermediate_task", columns="target_task", values="mean_gain")[targets]
    notes = task_table.assign(note=fmt.ci_column(task_table, "mean_gain").str.replace(" [", "\n[", regex=False))
    notes = notes.pivot(index="intermediate_task", columns="target_task", values="note")[targets].fillna("")
    figure = Figure(figsize=(1.5 * len(targets) + 2.5, 0.7 * len(values) + 1.5))
    ax = figure.add_subplot()
    _heatmap(ax, values, notes, "Mean gain over the no-intermediate baseline")
    ax.set_xlabel("target task")
    ax.set_ylabel("intermediate task")
    figure.tight_layout()
    return figure


def language_heatmap(language_table: pd.DataFrame, task: str) -> Figure:
    """Target task × language → mean gain, for one intermediate task."""
    rows = language_table[language_table["intermediate_task"] == task]
    values = rows.pivot(index="target_task", columns="language", values="mean_gain")
    notes = values.map(lambda v: fmt.number(v, 1, signed=True) if math.isfinite(v) else "")
    figure = Figure(figsize=(0.55 * values.shape[1] + 3, 0.5 * values.shape[0] + 1.6))
    ax = figure.add_subplot()
    _heatmap(ax, values, notes, f"Mean gain per language, intermediate task {task}")
    ax.set_xlabel("language")
    ax.set_ylabel("target task")
    figure.tight_layout()
    return figure


def training_curves(curves: pd.DataFrame, trials: pd.DataFrame) -> Figure:
    """Training loss and dev score against step, one line per trial phase, colour = batch size."""
    joined = curves.merge(trials.loc[:, ["trial_id", "batch_size"]], on="trial_id", how="left")
    colours, _ = _style_maps(trials.assign(intermediate_task="")) if len(trials) else ({}, {})
    figure = Figure(figsize=(10, 3.4), layout="constrained")
    axes = figure.subplots(1, 2)
    for (_, _, batch), line in joined.sort_values("step").groupby(["trial_id", "phase_key", "batch_size"],
                                                                  dropna=False):
        colour = colours.get(batch, "grey")  # the baseline has no intermediate batch size
        for ax, column in zip(axes, ("train_loss", "dev_score")):
            points = line[np.isfinite(line[column])]
            ax.plot(points["step"], points[column], color=colour, lw=0.8, alpha=0.6)
    losses = joined["train_loss"][np.isfinite(joined["train_loss"])]
    if len(losses) and (losses > 0).all():
        axes[0].set_yscale("log")  # a diverging run's loss would flatten every other curve
    for ax, label in zip(axes, ("training loss", "dev score")):
        ax.set_xlabel("optimizer step")
        ax.set_ylabel(label)
    handles = [Line2D([], [], color=c, label=f"batch {fmt.batch_size(b)}") for b, c in colours.items()]
    handles.append(Line2D([], [], color="grey", label="baseline / unknown"))
    figure.legend(handles=handles, loc="outside right center", frameon=False)
    return figure
