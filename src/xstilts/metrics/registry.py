"""Metric dispatch table: metric name -> function(gold, predictions, language) -> {name: 0-100}.

Adding a metric is one function plus one entry here. The language argument exists because
some metrics (MLQA) normalise answers per language; the others ignore it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xstilts.metrics.bucc import bucc_f1
from xstilts.metrics.classification import accuracy
from xstilts.metrics.mlqa import mlqa_em_f1
from xstilts.metrics.qa import squad_em_f1
from xstilts.metrics.tagging import span_f1

MetricFn = Callable[[Any, Any, "str | None"], dict[str, float]]


def _language_free(metric: Callable[[Any, Any], dict[str, float]]) -> MetricFn:
    def call(gold: Any, predictions: Any, language: str | None = None) -> dict[str, float]:
        return metric(gold, predictions)

    call.__name__ = metric.__name__
    call.__doc__ = metric.__doc__
    return call


def _mlqa(gold: Any, predictions: Any, language: str | None = None) -> dict[str, float]:
    if language is None:
        raise ValueError("MLQA scoring needs the answer language")
    return mlqa_em_f1(gold, predictions, language)


METRICS: dict[str, MetricFn] = {
    "accuracy": _language_free(accuracy),
    "span_f1": _language_free(span_f1),
    "squad_em_f1": _language_free(squad_em_f1),
    "mlqa_em_f1": _mlqa,
    "bucc_f1": _language_free(bucc_f1),
}


def compute_metric(
    name: str, gold: Any, predictions: Any, language: str | None = None
) -> dict[str, float]:
    """Run the metric called ``name``; unknown names list the known ones."""
    if name not in METRICS:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(sorted(METRICS))}")
    return METRICS[name](gold, predictions, language)
