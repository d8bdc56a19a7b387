"""Metrics on XTREME's 0-100 scale, XTREME's aggregation, and its folder layout.

* ``registry.METRICS``: metric name -> ``fn(gold, predictions, language) -> {name: value}``.
* ``xtreme``: XTREME_TASK2LANGS, XTREME_GROUPS, XTREME_TASK_METRIC, summarize/overall.
* ``layout``: write_predictions / write_gold / evaluate_folders (same result as evaluate.py).
"""

from xstilts.metrics.bucc import (
    bucc_f1,
    mine_with_dev_threshold,
    optimize_threshold,
    pairs_at_or_above,
)
from xstilts.metrics.classification import accuracy
from xstilts.metrics.layout import evaluate_folders, task_file, write_gold, write_predictions
from xstilts.metrics.mlqa import mlqa_em_f1, mlqa_normalize
from xstilts.metrics.qa import squad_em_f1, squad_normalize
from xstilts.metrics.registry import METRICS, compute_metric
from xstilts.metrics.tagging import span_f1
from xstilts.metrics.xtreme import (
    XTREME_GROUPS,
    XTREME_TASK2LANGS,
    XTREME_TASK_METRIC,
    headline_score,
    overall_scores,
    summarize_task,
)

__all__ = [
    "METRICS",
    "XTREME_GROUPS",
    "XTREME_TASK2LANGS",
    "XTREME_TASK_METRIC",
    "accuracy",
    "bucc_f1",
    "compute_metric",
    "evaluate_folders",
    "headline_score",
    "mine_with_dev_threshold",
    "mlqa_em_f1",
    "mlqa_normalize",
    "optimize_threshold",
    "overall_scores",
    "pairs_at_or_above",
    "span_f1",
    "squad_em_f1",
    "squad_normalize",
    "summarize_task",
    "task_file",
    "write_gold",
    "write_predictions",
]
