"""The trivial predictor: majority training label, most frequent tag, empty answer; scored by
the same XTREME scorer as a model's predictions."""

from __future__ import annotations

from xstilts.data.examples import Answer, ClassificationExample, SpanExample, TaggingExample
from xstilts.metrics.registry import compute_metric
from xstilts.pipeline.scoring import primary
from xstilts.pipeline.trivial import most_frequent, trivial_predictions


def _pair(i: int, label: str) -> ClassificationExample:
    return ClassificationExample(id=f"x{i}", text_a="a", text_b="b", label=label)


def test_majority_class_scores_its_share_of_the_gold_labels():
    training = [_pair(i, label) for i, label in enumerate(["1", "0", "0", "1", "0"])]
    common = most_frequent("pair_classification", training)
    evaluated = [_pair(i, label) for i, label in enumerate(["0", "1", "1", "1"])]
    predictions = trivial_predictions("pair_classification", common, evaluated)
    assert common == "0" and predictions == ["0"] * 4
    assert primary(compute_metric("accuracy", [e.label for e in evaluated], predictions, "en")) == 25.0


def test_ties_break_by_sorted_label_so_the_choice_is_reproducible():
    assert most_frequent("classification", [_pair(0, "b"), _pair(1, "a")]) == "a"


def test_most_frequent_tag_for_every_word_gives_entity_f1_zero_when_it_is_O():
    training = [TaggingExample("s1", ("Paris", "is", "big"), ("B-LOC", "O", "O"))]
    evaluated = [TaggingExample("s2", ("Anna", "sleeps"), ("B-PER", "O"))]
    common = most_frequent("tagging", training)
    predictions = trivial_predictions("tagging", common, evaluated)
    assert predictions == [["O", "O"]]
    assert primary(compute_metric("span_f1", [list(e.tags) for e in evaluated], predictions, "en")) == 0.0


def test_qa_trivial_answer_is_empty():
    example = SpanExample(id="q1", question="who?", context="Anna came.", answers=(Answer("Anna", 0),))
    assert most_frequent("span_extraction", [example]) is None
    assert trivial_predictions("span_extraction", None, [example]) == {"q1": ""}
