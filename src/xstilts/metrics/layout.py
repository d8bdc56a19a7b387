"""XTREME's submission folder layout: ``<root>/<task>/test-<lang>.<tsv|json>``.

``write_predictions`` / ``write_gold`` put one task-language file in place (atomically), and
``evaluate_folders`` scores a prediction folder against a label folder with the same result
as google-research/xtreme's ``evaluate.evaluate()``: tasks are scored only when both folders
have their sub-folder, and then every one of the task's XTREME languages must be present.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xstilts.errors import DataError
from xstilts.metrics.formats import FORMATS, XTREME_TASK_FORMAT, FileFormat
from xstilts.metrics.registry import compute_metric
from xstilts.metrics.sampling import bootstrap_se
from xstilts.metrics.xtreme import (
    XTREME_TASK2LANGS,
    XTREME_TASK_METRIC,
    overall_scores,
    summarize_task,
)


def _format_of(task: str) -> FileFormat:
    if task not in XTREME_TASK_FORMAT:
        raise KeyError(f"unknown XTREME task {task!r}; known: {', '.join(XTREME_TASK_FORMAT)}")
    return FORMATS[XTREME_TASK_FORMAT[task]]


def task_file(root: str | Path, task: str, lang: str) -> Path:
    """``<root>/<task>/test-<lang>.<suffix>``, the path evaluate.py reads."""
    return Path(root) / task / f"test-{lang}.{_format_of(task).suffix}"


def write_predictions(out_dir: str | Path, task: str, lang: str, predictions: Any) -> Path:
    """Write one language's predictions; returns the file written.

    ``predictions`` by task: label strings (pawsx, xnli; tatoeba: retrieved line indices as
    strings), tag sequences per sentence (panx, udpos), (source id, target id) pairs
    (bucc2018), or ``{question id: answer text}`` (xquad, mlqa, tydiqa).
    """
    path = task_file(out_dir, task, lang)
    _format_of(task).write_predictions(path, predictions)
    return path


def write_gold(out_dir: str | Path, task: str, lang: str, gold: Any) -> Path:
    """Write one language's gold labels, shaped as for ``write_predictions`` except QA, which
    takes the ``SpanExample`` list and writes SQuAD v1.1 JSON."""
    path = task_file(out_dir, task, lang)
    _format_of(task).write_gold(path, gold)
    return path


def score_language(
    pred_dir: str | Path, gold_dir: str | Path, task: str, lang: str
) -> dict[str, float]:
    """The task's metrics for one language, from the two folders."""
    return _from_files(pred_dir, gold_dir, task, lang, compute_metric)[0]


def sampling_se_language(pred_dir: str | Path, gold_dir: str | Path, task: str, lang: str) -> float | None:
    """Bootstrap standard error of the language's headline score over its examples (None for BUCC)."""
    return _from_files(pred_dir, gold_dir, task, lang, bootstrap_se)[0]


def score_with_sampling_se(
    pred_dir: str | Path, gold_dir: str | Path, task: str, lang: str
) -> tuple[dict[str, float], float | None]:
    """``score_language`` and ``sampling_se_language`` from one read of the two files."""
    return _from_files(pred_dir, gold_dir, task, lang, compute_metric, bootstrap_se)


def _from_files(pred_dir: str | Path, gold_dir: str | Path, task: str, lang: str, *measures) -> tuple:
    """Each ``measure(metric, gold, predictions, lang)`` on one language's files, read once; a bad
    file is a DataError naming it."""
    file_format = _format_of(task)
    pred_path, gold_path = task_file(pred_dir, task, lang), task_file(gold_dir, task, lang)
    predictions = _read_guarded(file_format.read_predictions, pred_path)
    gold = _read_guarded(file_format.read_gold, gold_path)
    try:
        return tuple(measure(XTREME_TASK_METRIC[task], gold, predictions, lang) for measure in measures)
    except ValueError as err:
        raise DataError(pred_path, None, f"{err} (gold: {gold_path})") from None


def _read_guarded(read, path: Path) -> Any:
    """``read(path)``; JSON nested deeper than Python can parse is a DataError naming the line."""
    try:
        return read(path)
    except RecursionError:
        from xstilts.data.readers._common import MAX_JSON_DEPTH, deep_json_line

        text = path.read_text(encoding="utf-8", errors="replace")
        raise DataError(path, deep_json_line(text) or 1, f"JSON nested more than {MAX_JSON_DEPTH} levels deep") from None


def _task_folders(root: str | Path) -> set[str]:
    root = Path(root)
    if not root.is_dir():
        raise DataError(root, None, "not a folder")
    return {child.name for child in root.iterdir() if child.is_dir()}


def evaluate_folders(pred_dir: str | Path, gold_dir: str | Path) -> dict[str, dict[str, Any]]:
    """``{"overall_scores": {...}, "detailed_scores": {...}}`` as evaluate.evaluate() returns.

    Tasks absent from either folder are skipped (and their groups, and ``all_task``, are not
    reported); folders that are not XTREME tasks are ignored.
    """
    pred_tasks, gold_tasks = _task_folders(pred_dir), _task_folders(gold_dir)
    detailed: dict[str, Any] = {}
    for task, langs in XTREME_TASK2LANGS.items():
        if task in pred_tasks and task in gold_tasks:
            per_language = {lang: score_language(pred_dir, gold_dir, task, lang) for lang in langs}
            detailed[task] = summarize_task(task, per_language)
    return {"overall_scores": overall_scores(detailed), "detailed_scores": detailed}
