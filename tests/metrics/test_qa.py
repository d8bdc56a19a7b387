import pytest

from xstilts.metrics.qa import squad_em_f1, squad_normalize


def test_squad_normalize_drops_case_ascii_punctuation_and_articles():
    assert squad_normalize("  The  Eiffel-Tower, (an icon)! ") == "eiffeltower icon"
    # Only ASCII punctuation: the Unicode quotes stay (MLQA would drop them).
    assert squad_normalize("«Paris»") == "«paris»"


def test_squad_em_f1_hand_computed():
    gold = [
        ("q1", ["the Eiffel Tower", "Eiffel Tower in Paris"]),
        ("q2", ["1889"]),
        ("q3", ["red wine"]),
        ("q4", ["blue"]),
    ]
    predictions = {"q1": "Eiffel tower!", "q2": "in 1889", "q3": "wine, red", "extra": "ignored"}
    # q1: "eiffel tower" == "eiffel tower"         EM 1, F1 1
    # q2: [in, 1889] vs [1889]: P 1/2, R 1          EM 0, F1 2/3
    # q3: [wine, red] vs [red, wine]: bag of words  EM 0, F1 1
    # q4: no prediction                             EM 0, F1 0 (still counted)
    # EM = 1/4 = 25; F1 = (1 + 2/3 + 1 + 0) / 4 = (8/3)/4 = 2/3
    scores = squad_em_f1(gold, predictions)
    assert scores["exact_match"] == pytest.approx(25.0)
    assert scores["f1"] == pytest.approx(200 / 3)


def test_duplicate_gold_ids_count_twice_like_the_official_script():
    # Both entries look up the same prediction: EM = (1 + 0) / 2 (second gold is "b").
    scores = squad_em_f1([("q", ["a"]), ("q", ["b"])], {"q": "a"})
    assert scores["exact_match"] == pytest.approx(50.0)


def test_bad_qa_inputs_raise():
    with pytest.raises(ValueError, match="no questions"):
        squad_em_f1([], {})
    with pytest.raises(ValueError, match="no gold answer"):
        squad_em_f1([("q", [])], {"q": "x"})
    with pytest.raises(ValueError, match="not a string"):
        squad_em_f1([("q", ["x"])], {"q": 3})
    # An unanswered question with no gold answer is fine: the official script skips it too.
    assert squad_em_f1([("q", []), ("r", ["x"])], {"r": "x"})["exact_match"] == pytest.approx(50.0)
