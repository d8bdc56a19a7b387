import pytest

from xstilts.metrics.tagging import span_f1


def test_span_f1_matches_hand_computed_ner_example():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    pred = [["B-PER", "I-PER", "O", "O"], ["B-ORG", "B-LOC"]]
    # gold spans: PER(0-1), LOC(3), ORG(0)            -> 3
    # pred spans: PER(0-1), ORG(0), LOC(1)            -> 3
    # correct: PER, ORG = 2 -> P = R = F1 = 2/3
    scores = span_f1(gold, pred)
    assert scores["precision"] == pytest.approx(200 / 3)
    assert scores["recall"] == pytest.approx(200 / 3)
    assert scores["f1"] == pytest.approx(200 / 3)


def test_span_f1_uneven_precision_and_recall():
    gold = [["B-PER", "O", "B-LOC", "I-LOC"]]
    pred = [["B-PER", "O", "O", "O"]]
    # gold: PER, LOC; pred: PER -> P = 1, R = 1/2, F1 = 2 * 1 * 0.5 / 1.5 = 2/3
    scores = span_f1(gold, pred)
    assert scores == pytest.approx({"precision": 100.0, "recall": 50.0, "f1": 200 / 3})


def test_pos_tags_are_scored_as_seqeval_spans_not_token_accuracy():
    # XTREME scores UD-POS with seqeval too. seqeval reads "NOUN" as chunk tag "N" of type
    # "OUN", so runs of one POS tag merge into a single span.
    gold = [["DET", "NOUN", "VERB"]]
    pred = [["DET", "NOUN", "NOUN"]]
    # gold spans: ET(0), OUN(1), ERB(2) -> 3;  pred spans: ET(0), OUN(1-2) -> 2
    # correct: ET(0) only -> P = 1/2, R = 1/3, F1 = 2*(1/6)/(5/6) = 0.4
    # (token accuracy would be 2/3; these numbers are seqeval's, not accuracy's)
    scores = span_f1(gold, pred)
    assert scores["f1"] == pytest.approx(40.0)
    assert scores["precision"] == pytest.approx(50.0)
    assert scores["recall"] == pytest.approx(100 / 3)


def test_tuples_are_accepted_like_lists():
    # seqeval flattens only *lists* of lists; tuples must not change the result.
    gold = (("B-PER", "I-PER"), ("O", "B-LOC"))
    pred = (("B-PER", "I-PER"), ("O", "O"))
    assert span_f1(gold, pred) == span_f1([list(s) for s in gold], [list(s) for s in pred])
    assert span_f1(gold, pred)["recall"] == pytest.approx(50.0)


def test_span_f1_names_the_misaligned_sentence():
    with pytest.raises(ValueError, match="sentence 2: 1 predicted tags for 2 gold"):
        span_f1([["O"], ["O", "O"]], [["O"], ["O"]])
    with pytest.raises(ValueError, match="1 predicted sentences for 2 gold"):
        span_f1([["O"], ["O"]], [["O"]])
