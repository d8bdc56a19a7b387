"""Numbers as the report prints them: estimates with CIs, p-values, grid settings."""

from __future__ import annotations

import math

import pandas as pd


def number(value: float, digits: int = 2, signed: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    value = round(value, digits) + 0.0  # + 0.0 turns -0.0 into 0.0, so "-0.00" never shows
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def with_ci(value: float, low: float, high: float, digits: int = 2, signed: bool = False) -> str:
    """``0.42 [0.19, 0.60]``; the bracket is left out when the CI is undefined."""
    text = number(value, digits, signed)
    if math.isfinite(low) and math.isfinite(high):
        text += f" [{number(low, digits, signed)}, {number(high, digits, signed)}]"
    return text


def p_cell(value: float) -> str:
    """A p-value for a table column headed "p"."""
    if not math.isfinite(value):
        return "n/a"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def p_value(value: float) -> str:
    """A p-value inside a sentence: ``p = 0.012`` or ``p < 0.001``."""
    cell = p_cell(value)
    return f"p {cell}" if cell.startswith("<") else f"p = {cell}"


def learning_rate(value: float) -> str:
    return f"{value:.0e}" if math.isfinite(value) else "n/a"


def batch_size(value: float) -> str:
    return f"{value:.0f}" if math.isfinite(value) else "n/a"


def ci_column(frame: pd.DataFrame, value: str, low: str = "ci_low", high: str = "ci_high",
              signed: bool = True) -> pd.Series:
    return pd.Series([with_ci(v, lo, hi, signed=signed) for v, lo, hi in
                      zip(frame[value], frame[low], frame[high])], index=frame.index, dtype=object)


def setting(row) -> str:
    """A setting in words: ``task, batch 16, LR 3e-05, fixed epochs``."""
    return (f"{row['intermediate_task']}, batch {batch_size(row['batch_size'])}, "
            f"LR {learning_rate(row['learning_rate'])}, {row['arm']}")


# How each metric is scored, in the words a reader needs (QA is never "F1" alone).
METRIC_LABELS = {"squad_em_f1": "(EM+F1)/2", "mlqa_em_f1": "(EM+F1)/2 (MLQA normalisation)",
                 "accuracy": "accuracy", "span_f1": "entity/tag F1", "bucc_f1": "F1 of mined sentence pairs"}


def metric_label(name: str) -> str:
    return METRIC_LABELS.get(name, name)
