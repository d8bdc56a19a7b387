"""XTREME's languages, task groups and score aggregation, as google-research/xtreme's
``evaluate.py`` defines them.

Per task: every metric averaged over the task's languages (``avg_<metric>``), and one headline
``avg_metric`` ((EM + F1) / 2 for QA, else F1, else accuracy). Overall: a group's score is the
mean headline of its tasks, reported only when all of them are present; ``all_task`` is the
mean over all nine tasks, reported only when all nine are present. Nothing is rounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _langs(csv: str) -> tuple[str, ...]:
    return tuple(csv.split(","))


# Languages evaluated per task, in evaluate.py's order (the order averages are summed in).
XTREME_TASK2LANGS: dict[str, tuple[str, ...]] = {
    "pawsx": _langs("de,en,es,fr,ja,ko,zh"),
    "xnli": _langs("ar,bg,de,el,en,es,fr,hi,ru,sw,th,tr,ur,vi,zh"),
    "panx": _langs(
        "ar,he,vi,id,jv,ms,tl,eu,ml,ta,te,af,nl,en,de,el,bn,hi,mr,ur,"
        "fa,fr,it,pt,es,bg,ru,ja,ka,ko,th,sw,yo,my,zh,kk,tr,et,fi,hu"
    ),
    "udpos": _langs(
        "af,ar,bg,de,el,en,es,et,eu,fa,fi,fr,he,hi,hu,id,it,ja,kk,ko,mr,"
        "nl,pt,ru,ta,te,th,tl,tr,ur,vi,yo,zh"
    ),
    "bucc2018": _langs("de,fr,ru,zh"),
    "tatoeba": _langs(
        "ar,he,vi,id,jv,tl,eu,ml,ta,te,af,nl,de,el,bn,hi,mr,ur,fa,fr,it,pt,"
        "es,bg,ru,ja,ka,ko,th,sw,zh,kk,tr,et,fi,hu"
    ),
    "xquad": _langs("en,es,de,el,ru,tr,ar,vi,th,zh,hi"),
    "mlqa": _langs("en,es,de,ar,hi,vi,zh"),
    "tydiqa": _langs("en,ar,bn,fi,id,ko,ru,sw,te"),
}

# Group name (evaluate.py's key) -> its tasks. "tagging" is the paper's "structured prediction".
XTREME_GROUPS: dict[str, tuple[str, ...]] = {
    "classification": ("pawsx", "xnli"),
    "tagging": ("udpos", "panx"),
    "qa": ("xquad", "mlqa", "tydiqa"),
    "retrieval": ("bucc2018", "tatoeba"),
}

QA_TASKS = frozenset(XTREME_GROUPS["qa"])

# Task -> name of its metric in xstilts.metrics.registry.METRICS.
XTREME_TASK_METRIC: dict[str, str] = {
    "pawsx": "accuracy",
    "xnli": "accuracy",
    "panx": "span_f1",
    "udpos": "span_f1",  # seqeval, like PAN-X: see xstilts.metrics.tagging
    "bucc2018": "bucc_f1",
    "tatoeba": "accuracy",
    "xquad": "squad_em_f1",
    "mlqa": "mlqa_em_f1",
    "tydiqa": "squad_em_f1",
}

# For non-QA tasks the headline is the first of these metrics that the task reports.
_HEADLINE_PREFERENCE = ("f1", "accuracy")


def headline_score(task: str, metrics: Mapping[str, float]) -> float:
    """The single number XTREME reports for a task from its metrics (or their averages)."""
    if task in QA_TASKS:
        return (metrics["exact_match"] + metrics["f1"]) / 2
    for name in _HEADLINE_PREFERENCE:
        if name in metrics:
            return metrics[name]
    raise KeyError(f"task {task!r} reports none of {', '.join(_HEADLINE_PREFERENCE)}")


def summarize_task(task: str, per_language: Mapping[str, Mapping[str, float]]) -> dict[str, Any]:
    """``{metric: {lang: value}, ..., avg_<metric>: mean, ..., avg_metric: headline}``.

    Languages are averaged in the order given (pass them in XTREME_TASK2LANGS order to sum
    in the same order as evaluate.py).
    """
    if not per_language:
        raise ValueError(f"task {task!r}: no languages to summarise")
    by_metric: dict[str, dict[str, float]] = {}
    for language, metrics in per_language.items():
        for name, value in metrics.items():
            by_metric.setdefault(name, {})[language] = value
    averages = {name: sum(values.values()) / len(values) for name, values in by_metric.items()}
    summary: dict[str, Any] = dict(by_metric)
    summary.update({f"avg_{name}": mean for name, mean in averages.items()})
    summary["avg_metric"] = headline_score(task, averages)
    return summary


def overall_scores(detailed: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """Group scores and ``all_task`` from per-task summaries, only where complete."""
    overall: dict[str, float] = {}
    present = set(detailed)
    if present >= set(XTREME_TASK2LANGS):
        overall["all_task"] = _mean_headline(detailed, tuple(XTREME_TASK2LANGS))
    for group, tasks in XTREME_GROUPS.items():
        if present >= set(tasks):
            overall[group] = _mean_headline(detailed, tasks)
    return overall


def _mean_headline(detailed: Mapping[str, Mapping[str, Any]], tasks: tuple[str, ...]) -> float:
    return sum(detailed[task]["avg_metric"] for task in tasks) / len(tasks)
