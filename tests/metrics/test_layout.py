import json
from pathlib import Path

import pytest

from xstilts.data.examples import Answer, SpanExample
from xstilts.errors import DataError
from xstilts.metrics.formats import read_labels, read_pairs, read_squad_gold, read_tags
from xstilts.metrics.layout import evaluate_folders, task_file, write_gold, write_predictions
from xstilts.metrics.xtreme import XTREME_TASK2LANGS

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "xtreme_layout"


def test_fixture_folder_scores_match_hand_computation():
    result = evaluate_folders(FIXTURE / "predictions", FIXTURE / "labels")
    detailed = result["detailed_scores"]
    # udpos exists only under predictions and mewslix is no XTREME task: both are skipped.
    assert list(detailed) == ["pawsx", "xnli", "xquad", "mlqa", "tydiqa"]
    # pawsx: de 4/4 = 100, other 6 languages 3/4 = 75      -> (100 + 450) / 7 = 550/7
    assert detailed["pawsx"]["avg_metric"] == pytest.approx(550 / 7, abs=1e-9)
    assert detailed["pawsx"]["accuracy"]["de"] == 100.0
    # xnli: en 5/5 = 100, sw 1/5 = 20, 13 others 3/5 = 60  -> (100 + 20 + 780) / 15 = 60
    assert detailed["xnli"]["avg_accuracy"] == pytest.approx(60.0, abs=1e-9)
    # xquad (SQuAD rules), per language: q1 "Eiffel tower!" vs "the Eiffel Tower" EM 1 F1 1;
    # q2 "in 1889" vs "1889" EM 0 F1 2/3 -> EM 50, F1 250/3; zh lacks q2 -> EM 50, F1 50.
    # avg EM 50; avg F1 (10 * 250/3 + 50) / 11 = 2650/33; headline (50 + 2650/33) / 2 = 2150/33
    assert detailed["xquad"]["avg_exact_match"] == pytest.approx(50.0, abs=1e-9)
    assert detailed["xquad"]["avg_f1"] == pytest.approx(2650 / 33, abs=1e-9)
    assert detailed["xquad"]["avg_metric"] == pytest.approx(2150 / 33, abs=1e-9)
    # mlqa (language rules): en "a cat"/"the cat", de "Hund"/"der Hund", ar "كتاب"/"الكتاب",
    # vi "con mèo"/"những con mèo" are exact; es "gatos"/"los gatos negros", hi one of two
    # words, zh 电池/电化电池 each give F1 2/3.  EM 400/7, F1 (400 + 200)/7, headline 500/7
    assert detailed["mlqa"]["exact_match"]["ar"] == 100.0
    assert detailed["mlqa"]["f1"]["zh"] == pytest.approx(200 / 3, abs=1e-9)
    assert detailed["mlqa"]["avg_exact_match"] == pytest.approx(400 / 7, abs=1e-9)
    assert detailed["mlqa"]["avg_f1"] == pytest.approx(600 / 7, abs=1e-9)
    # tydiqa: "Helsinki." exact in 8 languages, fi has no predictions -> 800/9 for both
    assert detailed["tydiqa"]["avg_metric"] == pytest.approx(800 / 9, abs=1e-9)
    # groups: classification (550/7 + 60) / 2 = 485/7;
    # qa (2150/33 + 500/7 + 800/9) / 3 = (45150 + 49500 + 61600) / 693 / 3 = 156250/2079
    overall = result["overall_scores"]
    assert list(overall) == ["classification", "qa"]
    assert overall["classification"] == pytest.approx(485 / 7, abs=1e-9)
    assert overall["qa"] == pytest.approx(156250 / 2079, abs=1e-9)


def _squad_gold(answer: str) -> list[SpanExample]:
    example = SpanExample(id="q", question="?", context=f"ctx {answer}", answers=(Answer(answer, 4),))
    return [example]


# One language's (gold, predictions) per task; every language of a task gets the same pair.
ALL_TASKS = {
    "pawsx": (["1", "0"], ["1", "1"]),  # 50
    "xnli": (["entailment", "neutral"], ["entailment", "neutral"]),  # 100
    # gold PER, LOC; pred PER -> P 1, R 1/2 -> F1 2/3
    "panx": ([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "O"]]),
    # seqeval on POS: gold ET, OUN, ERB; pred ET, OUN(1-2) -> P 1/2, R 1/3 -> F1 0.4
    "udpos": ([["DET", "NOUN", "VERB"]], [["DET", "NOUN", "NOUN"]]),
    # 1 of 3 predicted pairs right, 1 of 2 gold found -> F1 2*(1/3)(1/2)/(5/6) = 0.4
    "bucc2018": ([("a", "b"), ("c", "d")], [("a", "b"), ("c", "x"), ("e", "f")]),
    "tatoeba": (["0", "1", "2", "3"], ["0", "1", "2", "0"]),  # 75
    "xquad": (_squad_gold("Paris"), {"q": "Paris"}),  # EM 100, F1 100 -> 100
    "mlqa": (_squad_gold("Berlin"), {"q": "berlin"}),  # 100 in every language
    "tydiqa": (_squad_gold("x y"), {"q": "x"}),  # EM 0, F1 2/3 -> headline 100/3
}


def test_all_nine_tasks_written_then_scored(tmp_path):
    for task, (gold, predictions) in ALL_TASKS.items():
        for lang in XTREME_TASK2LANGS[task]:
            write_gold(tmp_path / "gold", task, lang, gold)
            write_predictions(tmp_path / "pred", task, lang, predictions)
    result = evaluate_folders(tmp_path / "pred", tmp_path / "gold")
    headline = {task: summary["avg_metric"] for task, summary in result["detailed_scores"].items()}
    expected = {"pawsx": 50.0, "xnli": 100.0, "panx": 200 / 3, "udpos": 40.0, "bucc2018": 40.0,
                "tatoeba": 75.0, "xquad": 100.0, "mlqa": 100.0, "tydiqa": 100 / 3}
    assert headline == pytest.approx(expected, abs=1e-9)
    # groups: (50+100)/2 = 75; (40 + 200/3)/2 = 160/3; (100+100+100/3)/3 = 700/9; (40+75)/2
    # all_task: (50+100+40+200/3+40+75+100+100+100/3)/9 = (505 + 100)/9 = 605/9
    assert result["overall_scores"] == pytest.approx(
        {"all_task": 605 / 9, "classification": 75.0, "tagging": 160 / 3, "qa": 700 / 9,
         "retrieval": 57.5}, abs=1e-9)
    assert list(result["overall_scores"])[0] == "all_task"
    assert json.loads(json.dumps(result)) == result  # plain JSON-able floats and dicts


def test_tag_files_round_trip_empty_sentences(tmp_path):
    sentences = [["B-PER", "I-PER"], [], ["O"], []]
    path = write_predictions(tmp_path, "panx", "de", sentences)
    assert path == task_file(tmp_path, "panx", "de") == tmp_path / "panx" / "test-de.tsv"
    assert read_tags(path) == sentences


def test_readers_follow_evaluate_py_line_rules(tmp_path):
    labels = tmp_path / "labels.tsv"
    labels.write_bytes(b" 1 \r\n\r\n0")  # CRLF, a blank label, no final newline
    assert read_labels(labels) == ["1", "", "0"]
    tags = tmp_path / "tags.tsv"
    tags.write_bytes(b"\nB-PER\n \n\nO")  # leading blank -> empty sentence; " " is blank
    assert read_tags(tags) == [[], ["B-PER"], [], ["O"]]
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("de-1\ten-1\t\nde-2\n", encoding="utf-8")
    assert read_pairs(pairs) == [("de-1", "en-1"), ("de-2",)]


def test_squad_gold_accepts_bare_article_list(tmp_path):
    path = tmp_path / "gold.json"
    articles = [{"paragraphs": [{"qas": [{"id": "q", "answers": [{"text": "a"}, {"text": "b"}]}]}]}]
    path.write_text(json.dumps(articles), encoding="utf-8")
    assert read_squad_gold(path) == [("q", ["a", "b"])]


def test_writers_refuse_values_that_would_not_read_back(tmp_path):
    with pytest.raises(ValueError, match="line break"):
        write_predictions(tmp_path, "xnli", "en", ["entail\nment"])
    with pytest.raises(ValueError, match="must not be empty"):
        write_predictions(tmp_path, "udpos", "en", [["NOUN", ""]])
    with pytest.raises(ValueError, match="'data'"):
        write_predictions(tmp_path, "xquad", "en", {"data": "x"})
    with pytest.raises(KeyError, match="unknown XTREME task 'copa'"):
        write_predictions(tmp_path, "copa", "en", ["0"])
    assert not (tmp_path / "xnli").exists() or not any((tmp_path / "xnli").iterdir())


def _one_task_folders(tmp_path, task, gold, predictions):
    for lang in XTREME_TASK2LANGS[task]:
        write_gold(tmp_path / "gold", task, lang, gold)
        write_predictions(tmp_path / "pred", task, lang, predictions)
    return tmp_path / "pred", tmp_path / "gold"


def test_missing_language_file_is_a_data_error(tmp_path):
    pred, gold = _one_task_folders(tmp_path, "pawsx", ["1"], ["1"])
    (pred / "pawsx" / "test-ko.tsv").unlink()
    with pytest.raises(DataError, match=r"test-ko\.tsv: file not found"):
        evaluate_folders(pred, gold)


def test_misaligned_predictions_are_a_data_error(tmp_path):
    pred, gold = _one_task_folders(tmp_path, "xnli", ["neutral", "neutral"], ["neutral", "neutral"])
    (pred / "xnli" / "test-de.tsv").write_text("neutral\n", encoding="utf-8")
    with pytest.raises(DataError, match="1 predictions for 2 gold labels") as caught:
        evaluate_folders(pred, gold)
    assert caught.value.path.endswith("test-de.tsv")


def test_malformed_json_reports_its_line(tmp_path):
    pred, gold = _one_task_folders(tmp_path, "tydiqa", _squad_gold("x"), {"q": "x"})
    (pred / "tydiqa" / "test-sw.json").write_text('{\n "q": "x",\n}\n', encoding="utf-8")
    with pytest.raises(DataError) as caught:
        evaluate_folders(pred, gold)
    assert caught.value.line == 3 and "invalid JSON" in str(caught.value)


def test_gold_that_is_not_squad_is_a_data_error(tmp_path):
    pred, gold = _one_task_folders(tmp_path, "xquad", _squad_gold("x"), {"q": "x"})
    not_squad = {"data": [{"paragraphs": [{"qas": [{"id": 7}]}]}]}  # numeric id, no answers
    (gold / "xquad" / "test-th.json").write_text(json.dumps(not_squad), encoding="utf-8")
    with pytest.raises(DataError, match="not SQuAD v1.1 JSON"):
        evaluate_folders(pred, gold)


def test_missing_root_folder_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="not a folder"):
        evaluate_folders(tmp_path / "nope", tmp_path)
