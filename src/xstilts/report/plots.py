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

from xstilts.analysis.bootstrap import CONFIDENCE
from xstilts.analysis.frontier import BASELINE_GAIN
from xstilts.report import formatting as fmt

MEASURE_LABELS = {"examples_per_s": "examples / s", "real_tokens_per_s": "real (non-pad) tokens / s",
                  "device_hours": "device-hours", "examples_per_s_at_reference": "examples / s at the reference probe",
                  "mfu": "MFU (against the measured peak)"}
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


def grid_heatmap(grid: pd.DataFrame, task: str, arm: str) -> Figure:
    """Batch size × learning rate → mean XTREME gain for one intermediate task and arm."""
    rows = grid[(grid["intermediate_task"] == task) & (grid["arm"] == arm)].assign(
        batch=lambda t: t["batch_size"].map(fmt.batch_size), lr=lambda t: t["learning_rate"].map(fmt.learning_rate))
    rows = rows.sort_values(["batch_size", "learning_rate"])
    order = {"index": rows["batch"].unique(), "columns": rows["lr"].unique()}
    values = rows.pivot(index="batch", columns="lr", values="mean_gain").reindex(**order)
    notes = (rows.assign(note=rows.apply(_grid_note, axis=1))
             .pivot(index="batch", columns="lr", values="note").reindex(**order).fillna("no trials"))
    # At least 6 inches wide: a one-column grid (a fixed-steps arm at one LR) still fits its title.
    figure = Figure(figsize=(max(6.0, 1.6 * len(order["columns"]) + 2.2), 0.8 * len(order["index"]) + 1.4))
    ax = figure.add_subplot()
    _heatmap(ax, values, notes, f"Mean XTREME gain, intermediate task {task} ({arm})")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("batch size")
    figure.tight_layout()
    return figure


def _style_maps(gains: pd.DataFrame) -> tuple[dict, dict]:
    palette = matplotlib.colormaps["viridis"]
    batches = sorted(gains["batch_size"].dropna().unique())
    colours = {b: palette(i / max(1, len(batches) - 1)) for i, b in enumerate(batches)}
    tasks = sorted(gains["intermediate_task"].unique())
    return colours, {task: _MARKERS[i % len(_MARKERS)] for i, task in enumerate(tasks)}


def _setting_points(ax, efficiency: pd.DataFrame, x: str, colours: dict, markers: dict) -> None:
    """Setting means with their seed-level CI as vertical bars; colour = batch, marker = task."""
    for _, row in efficiency.iterrows():
        low, high = row["ci_low"], row["ci_high"]
        error = [[row["mean_gain"] - low], [high - row["mean_gain"]]] if math.isfinite(low) else None
        ax.errorbar(row[x], row["mean_gain"], yerr=error, color=colours.get(row["batch_size"], "grey"),
                    marker=markers.get(row["intermediate_task"], "o"), ms=5, lw=0.8, capsize=2)
    ax.axhline(0, color="grey", lw=0.5, ls=":")
    ax.set_ylabel("mean XTREME gain, 95% CI over seeds (points)")


def _setting_legend(figure: Figure, colours: dict, markers: dict, extra: list) -> None:
    handles = [Line2D([], [], ls="", marker="o", color=c, label=f"batch {fmt.batch_size(b)}")
               for b, c in colours.items()]
    handles += [Line2D([], [], ls="", marker=m, color="grey", label=plain(t)) for t, m in markers.items()]
    figure.legend(handles=handles + extra, loc="outside right center", frameon=False)


def setting_scatter(efficiency: pd.DataFrame, correlations: pd.DataFrame) -> Figure:
    """Setting-mean examples/s against setting-mean gain, one panel per arm, with the r and p
    that the text reports in each panel."""
    arms = sorted(efficiency["arm"].unique())
    colours, markers = _style_maps(efficiency)
    figure = Figure(figsize=(4.2 * len(arms) + 2, 3.4), layout="constrained")
    for ax, arm in zip(np.atleast_1d(figure.subplots(1, len(arms))), arms):
        rows = efficiency[(efficiency["arm"] == arm) & np.isfinite(efficiency["examples_per_s"])]
        _setting_points(ax, rows, "examples_per_s", colours, markers)
        stat = correlations[(correlations["arm"] == arm) & (correlations["measure"] == "examples_per_s")]
        label = "r: too few settings"
        if len(stat) and math.isfinite(stat.iloc[0]["estimate"]):
            row = stat.iloc[0]
            label = (f"r = {fmt.number(row['estimate'])}, {fmt.p_value(row['p_value'])}\n"
                     f"Holm {fmt.p_value(row['p_adjusted'])}, n = {int(row['n_settings'])} settings")
        ax.text(0.02, 0.98, label, transform=ax.transAxes, va="top", fontsize=7)
        ax.set_title(plain(f"{arm} (confounded with batch size)"))
        ax.set_xlabel("setting-mean intermediate examples / s")
    _setting_legend(figure, colours, markers, [])
    return figure


def frontier_plot(efficiency: pd.DataFrame) -> Figure:
    """Mean gain against intermediate device-hours per setting; the step line is the best mean
    gain reachable within each budget (the efficiency frontier), starting at the baseline (no
    intermediate phase: 0 device-hours, gain 0)."""
    colours, markers = _style_maps(efficiency)
    figure = Figure(figsize=(7.5, 3.6), layout="constrained")
    ax = figure.add_subplot()
    usable = efficiency[np.isfinite(efficiency["device_hours"])]
    _setting_points(ax, usable, "device_hours", colours, markers)
    frontier = usable[usable["on_frontier"].astype(bool)].sort_values("device_hours")
    hours = np.concatenate([[0.0], frontier["device_hours"], [usable["device_hours"].max() if len(usable) else 0.0]])
    gains = np.concatenate([[BASELINE_GAIN], frontier["mean_gain"], [frontier["mean_gain"].max() if len(frontier) else BASELINE_GAIN]])
    ax.step(hours, gains, where="post", color="black", lw=1)
    ax.plot([0.0], [BASELINE_GAIN], marker="x", markersize=9, mew=2, color="black", ls="none")
    ax.set_xlabel("mean intermediate device-hours per trial (budget)")
    _setting_legend(figure, colours, markers, [
        Line2D([], [], color="black", label="frontier: best within budget"),
        Line2D([], [], color="black", marker="x", mew=2, ls="none", label="baseline: no intermediate phase")])
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
