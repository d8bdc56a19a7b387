import pytest

from xstilts.metrics.registry import METRICS, compute_metric
from xstilts.metrics.xtreme import (
    XTREME_GROUPS,
    XTREME_TASK2LANGS,
    XTREME_TASK_METRIC,
    headline_score,
    overall_scores,
    summarize_task,
)


def test_language_lists_have_evaluate_py_sizes_and_order():
    sizes = {task: len(langs) for task, langs in XTREME_TASK2LANGS.items()}
    assert sizes == {
        "pawsx": 7, "xnli": 15, "panx": 40, "udpos": 33, "bucc2018": 4,
        "tatoeba": 36, "xquad": 11, "mlqa": 7, "tydiqa": 9,
    }
    assert XTREME_TASK2LANGS["mlqa"] == ("en", "es", "de", "ar", "hi", "vi", "zh")
    assert XTREME_TASK2LANGS["bucc2018"] == ("de", "fr", "ru", "zh")
    assert all(len(set(langs)) == len(langs) for langs in XTREME_TASK2LANGS.values())
    # PAN-X has ms and my; Tatoeba does not. UD-POS has yo but not sw.
    assert {"ms", "my"} <= set(XTREME_TASK2LANGS["panx"]) - set(XTREME_TASK2LANGS["tatoeba"])
    assert "yo" in XTREME_TASK2LANGS["udpos"] and "sw" not in XTREME_TASK2LANGS["udpos"]


def test_every_task_has_one_group_and_a_registered_metric():
    grouped = [task for tasks in XTREME_GROUPS.values() for task in tasks]
    assert sorted(grouped) == sorted(XTREME_TASK2LANGS)
    assert set(XTREME_TASK_METRIC) == set(XTREME_TASK2LANGS)
    assert set(XTREME_TASK_METRIC.values()) <= set(METRICS)
    assert XTREME_TASK_METRIC["udpos"] == XTREME_TASK_METRIC["panx"] == "span_f1"


def test_registry_dispatches_by_name_and_passes_language():
    assert compute_metric("accuracy", ["a", "b"], ["a", "a"]) == {"accuracy": 50.0}
    # "los" is an article only under the Spanish rules
    gold, predictions = [("q", ["los gatos"])], {"q": "gatos"}
    assert compute_metric("mlqa_em_f1", gold, predictions, "es")["exact_match"] == 100.0
    assert compute_metric("mlqa_em_f1", gold, predictions, "en")["exact_match"] == 0.0
    with pytest.raises(KeyError, match="unknown metric 'bleu'"):
        compute_metric("bleu", [], [])


def test_headline_score_rules():
    assert headline_score("xquad", {"exact_match": 40.0, "f1": 60.0}) == 50.0
    assert headline_score("panx", {"f1": 70.0, "precision": 1.0, "recall": 2.0}) == 70.0
    assert headline_score("xnli", {"accuracy": 80.0}) == 80.0


def test_summarize_task_layout_and_means():
    summary = summarize_task(
        "mlqa", {"en": {"exact_match": 50.0, "f1": 70.0}, "de": {"exact_match": 20.0, "f1": 40.0}}
    )
    # avg EM = 35, avg F1 = 55, headline (35 + 55) / 2 = 45
    assert list(summary) == ["exact_match", "f1", "avg_exact_match", "avg_f1", "avg_metric"]
    assert summary["exact_match"] == {"en": 50.0, "de": 20.0}
    averages = (summary["avg_exact_match"], summary["avg_f1"], summary["avg_metric"])
    assert averages == (35.0, 55.0, 45.0)


def _task(avg_metric):
    return {"avg_metric": avg_metric}


def test_overall_reports_only_complete_groups_and_all_task_only_when_all_nine():
    partial = {"pawsx": _task(80.0), "xnli": _task(70.0), "xquad": _task(10.0)}
    assert overall_scores(partial) == {"classification": 75.0}
    full = {task: _task(float(i)) for i, task in enumerate(XTREME_TASK2LANGS)}
    # tasks get 0..8 in XTREME_TASK2LANGS order: mean 4; groups by their tasks' values
    overall = overall_scores(full)
    assert list(overall) == ["all_task", "classification", "tagging", "qa", "retrieval"]
    assert overall["all_task"] == 4.0
    # pawsx 0, xnli 1 | udpos 3, panx 2 | xquad 6, mlqa 7, tydiqa 8 | bucc2018 4, tatoeba 5
    assert overall["classification"] == 0.5
    assert overall["tagging"] == 2.5
    assert overall["qa"] == 7.0
    assert overall["retrieval"] == 4.5
