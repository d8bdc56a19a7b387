import pytest

from xstilts.metrics.bucc import (
    bucc_f1,
    mine_with_dev_threshold,
    optimize_threshold,
    pairs_at_or_above,
)


def test_bucc_f1_over_pair_sets():
    gold = [("de-1", "en-1"), ("de-2", "en-2"), ("de-3", "en-3"), ("de-4", "en-4")]
    # duplicates collapse: 3 distinct predictions, 2 correct
    pred = [("de-1", "en-1"), ("de-2", "en-2"), ("de-2", "en-2"), ("de-3", "en-9")]
    # P = 2/3, R = 2/4, F1 = 2 * (2/3)(1/2) / (2/3 + 1/2) = (2/3) / (7/6) = 4/7
    scores = bucc_f1(gold, pred)
    assert scores == pytest.approx({"precision": 200 / 3, "recall": 50.0, "f1": 400 / 7})
    assert bucc_f1(gold, [("x", "y")]) == {"f1": 0.0, "precision": 0.0, "recall": 0.0}


DEV = {("a", "1"): 0.9, ("b", "2"): 0.8, ("c", "9"): 0.7, ("d", "4"): 0.6, ("e", "8"): 0.5}
DEV_GOLD = {("a", "1"), ("b", "2"), ("d", "4"), ("f", "6")}


def test_threshold_maximises_dev_f1():
    # ranked: a (ok) b (ok) c (wrong) d (ok) e (wrong); 4 gold pairs
    # top1: P 1,   R 1/4 -> F1 0.4
    # top2: P 1,   R 2/4 -> F1 2/3
    # top3: P 2/3, R 2/4 -> F1 4/7  (0.571)
    # top4: P 3/4, R 3/4 -> F1 0.75  <- best; cut half-way between 0.6 and 0.5
    # top5: P 3/5, R 3/4 -> F1 2/3
    assert optimize_threshold(DEV, DEV_GOLD) == pytest.approx(0.55)


def test_threshold_is_applied_to_test_candidates():
    test = {("x", "1"): 0.95, ("y", "2"): 0.55, ("z", "3"): 0.549}
    threshold, mined = mine_with_dev_threshold(DEV, DEV_GOLD, test)
    assert threshold == pytest.approx(0.55)
    assert mined == [("x", "1"), ("y", "2")]  # >= threshold keeps the tie at 0.55


def test_threshold_edge_cases():
    # Nothing correct: XTREME keeps its initial threshold of 0.
    assert optimize_threshold({("a", "1"): 0.9}, {("b", "2")}) == 0.0
    # Best cut after the last candidate (XTREME would index past the end): keep them all.
    scores = {("a", "1"): 0.9, ("b", "2"): 0.4}
    threshold = optimize_threshold(scores, {("a", "1"), ("b", "2")})
    assert pairs_at_or_above(scores, threshold) == [("a", "1"), ("b", "2")]


def test_threshold_and_f1_equal_xtreme_bucc_eval_on_its_own_candidates():
    # Golden: XTREME's mine_bitext candidates and its bucc_eval result on them
    # (tests/fixtures/bucc_mining/xtreme_golden.json says how they were made).
    import json
    from pathlib import Path

    import numpy as np

    golden = Path(__file__).parents[1] / "fixtures" / "bucc_mining"
    arrays = np.load(golden / "xtreme_golden.npz")
    expected = json.loads((golden / "xtreme_golden.json").read_text(encoding="utf-8"))
    for split in ("dev", "test"):
        pairs = [(f"de-{s:09d}", f"en-{t:09d}") for s, t in arrays[f"{split}_candidates"].tolist()]
        scores = dict(zip(pairs, arrays[f"{split}_scores"].tolist()))
        gold = {(f"de-{s:09d}", f"en-{t:09d}") for s, t in arrays[f"{split}_gold"].tolist()}
        threshold = optimize_threshold(scores, gold)
        assert threshold == expected[split]["best-threshold"]  # same sort, same arithmetic: exact
        f1 = bucc_f1(gold, pairs_at_or_above(scores, threshold))
        assert f1 == pytest.approx(
            {"f1": expected[split]["F1"], "precision": expected[split]["precision"], "recall": expected[split]["recall"]},
            rel=1e-12,
        )


def test_missing_gold_file_is_a_one_line_error_naming_it(tmp_path):
    # XTREME's download removes BUCC's test gold; scoring without it used to give F1 = 0 silently.
    from xstilts.data.readers.bitext import read_bucc
    from xstilts.errors import DataError

    (tmp_path / "de-en.test.de").write_text("de-1\tHallo\n", encoding="utf-8")
    (tmp_path / "de-en.test.en").write_text("en-1\tHello\n", encoding="utf-8")
    with pytest.raises(DataError) as error:
        read_bucc(tmp_path / "de-en.test")
    message = str(error.value)
    assert message.startswith(str(tmp_path / "de-en.test.gold") + ": ") and "\n" not in message
    (tmp_path / "de-en.test.gold").write_text("de-1\ten-1\n", encoding="utf-8")
    assert read_bucc(tmp_path / "de-en.test").gold == (("de-1", "en-1"),)
