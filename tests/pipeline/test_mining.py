"""Margin-based BUCC mining against XTREME's own ``mine_bitext`` (golden values).

tests/fixtures/bucc_mining/ holds what XTREME's ``third_party/utils_retrieve.py`` gave
(``mine_bitext`` with retrieval='max', margin='ratio', k=4, then ``bucc_eval``) on the vectors
``planted`` regenerates here: 2,000 x 2,000 random unit vectors at width 384 with 500 planted
translation pairs (a source vector plus noise). The .json says how they were made.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from xstilts.metrics.bucc import bucc_f1, optimize_threshold, pairs_at_or_above
from xstilts.pipeline.mining import Candidates, knn, margin_neighbours, mine, unit_rows

GOLDEN = Path(__file__).parents[1] / "fixtures" / "bucc_mining"
META = json.loads((GOLDEN / "xtreme_golden.json").read_text(encoding="utf-8"))
ARRAYS = np.load(GOLDEN / "xtreme_golden.npz")
SCORE_TOLERANCE = 1e-5


def planted(seed: int) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """(source, target, planted row pairs): the golden run's vectors, drawn the same way."""
    shape = META["vectors"]
    rows, width, count, noise = shape["rows"], shape["width"], shape["planted"], shape["noise"]

    def unit(a: np.ndarray) -> np.ndarray:
        return a / np.linalg.norm(a, axis=1, keepdims=True)

    rng = np.random.default_rng(seed)
    source = unit(rng.standard_normal((rows, width)))
    target = unit(rng.standard_normal((rows, width)))
    source_rows, target_rows = rng.permutation(rows)[:count], rng.permutation(rows)[:count]
    target[target_rows] = unit(source[source_rows] + rng.standard_normal((count, width)) * (noise / np.sqrt(width)))
    return source.astype(np.float32), target.astype(np.float32), list(zip(source_rows.tolist(), target_rows.tolist()))


def vectors(split: str) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    source, target, gold = planted(META["vectors"][f"{split}_seed"])
    # Same inputs as the golden run, or every comparison below would be meaningless.
    assert hashlib.sha256(source.tobytes()).hexdigest() == META[split]["x_sha256"], "regenerated vectors differ"
    assert hashlib.sha256(target.tobytes()).hexdigest() == META[split]["y_sha256"], "regenerated vectors differ"
    assert gold == [tuple(pair) for pair in ARRAYS[f"{split}_gold"].tolist()]
    return source, target, gold


def as_scores(candidates: Candidates) -> dict[tuple[int, int], float]:
    return dict(zip(zip(candidates.source.tolist(), candidates.target.tolist()), candidates.scores.tolist()))


def golden_scores(split: str) -> dict[tuple[int, int], float]:
    pairs = ARRAYS[f"{split}_candidates"].astype(np.int64).tolist()
    return dict(zip(map(tuple, pairs), ARRAYS[f"{split}_scores"].tolist()))


def assert_same_candidates(mined: Candidates, split: str) -> None:
    ours, xtreme = as_scores(mined), golden_scores(split)
    assert len(mined) == len(ours) == len(xtreme)
    assert set(ours) == set(xtreme)
    assert max(abs(ours[pair] - xtreme[pair]) for pair in ours) < SCORE_TOLERANCE
    # Best first, as XTREME writes them; neighbours in the order may only swap where their
    # scores tie within float32 rounding (XTREME recomputes each cosine with numpy).
    assert np.all(np.diff(mined.scores) <= 0)
    golden_pairs = ARRAYS[f"{split}_candidates"].astype(np.int64)
    moved = np.nonzero((np.stack([mined.source, mined.target], axis=1) != golden_pairs).any(axis=1))[0]
    assert len(moved) <= 4
    assert all(abs(mined.scores[i] - ARRAYS[f"{split}_scores"][i]) < SCORE_TOLERANCE for i in moved)


@pytest.mark.parametrize("split", ["dev", "test"])
def test_candidates_and_scores_equal_xtreme_mine_bitext(split):
    source, target, _ = vectors(split)
    assert_same_candidates(mine(source, target), split)


def test_neighbours_and_margin_scores_equal_xtreme_in_both_directions():
    source, target, _ = vectors("dev")
    forward, backward = margin_neighbours(source, target, k=4)
    np.testing.assert_array_equal(forward.indices, ARRAYS["dev_fwd_ind"])
    np.testing.assert_array_equal(backward.indices, ARRAYS["dev_bwd_ind"])
    np.testing.assert_allclose(forward.scores, ARRAYS["dev_fwd_scores"], rtol=0, atol=SCORE_TOLERANCE)
    np.testing.assert_allclose(backward.scores, ARRAYS["dev_bwd_scores"], rtol=0, atol=SCORE_TOLERANCE)


def f1_at(threshold: float, scores: dict, gold: list) -> dict[str, float]:
    return bucc_f1(gold, pairs_at_or_above(scores, threshold))


def test_f1_at_the_dev_tuned_threshold_equals_xtreme():
    dev_source, dev_target, dev_gold = vectors("dev")
    dev = as_scores(mine(dev_source, dev_target))
    threshold = optimize_threshold(dev, dev_gold)
    assert threshold == pytest.approx(META["dev"]["best-threshold"], abs=SCORE_TOLERANCE)
    assert f1_at(threshold, dev, dev_gold) == pytest.approx(
        {"f1": META["dev"]["F1"], "precision": META["dev"]["precision"], "recall": META["dev"]["recall"]}, rel=1e-12
    )
    # Tuned on dev, applied to test: XTREME's counts, so the same F1.
    test_source, test_target, test_gold = vectors("test")
    test = as_scores(mine(test_source, test_target))
    kept = pairs_at_or_above(test, threshold)
    expected = META["test"]["at_dev_threshold"]
    assert (len(kept), len(set(kept) & set(test_gold))) == (expected["extracted"], expected["correct"])
    assert bucc_f1(test_gold, kept)["f1"] == pytest.approx(expected["F1"], rel=1e-12)


def test_chunked_search_equals_one_search():
    source, target, _ = vectors("dev")
    x, y = unit_rows(source), unit_rows(target)
    whole_sim, whole_ind = knn(x, y, 4, chunk_rows=len(x))
    chunked_sim, chunked_ind = knn(x, y, 4, chunk_rows=333)  # uneven last chunk
    np.testing.assert_array_equal(chunked_ind, whole_ind)
    np.testing.assert_allclose(chunked_sim, whole_sim, rtol=0, atol=1e-6)
    assert_same_candidates(mine(source, target, chunk_rows=333), "dev")


def test_margin_mining_resists_a_hub_that_cosine_argmax_falls_for():
    rng = np.random.default_rng(0)
    rows, width = 200, 32
    common = unit_rows(rng.standard_normal((1, width)))
    source = unit_rows(common + rng.standard_normal((rows, width)) / np.sqrt(width))
    target = unit_rows(source + rng.standard_normal((rows, width)) / np.sqrt(width))
    targets = np.vstack([target, common])  # row 200: a hub, close to every source sentence
    nearest = (source @ targets.T).argmax(axis=1)
    assert np.sum(nearest == rows) > 60  # forward cosine argmax (the old BUCC search) picks the hub
    mined = mine(source, targets)
    assert len(set(mined.source.tolist())) == len(mined) == len(set(mined.target.tolist()))  # one-to-one
    right = sum(s == t for s, t in zip(mined.source.tolist(), mined.target.tolist()))
    assert right > 1.4 * np.sum(nearest == np.arange(rows))
    assert np.sum(mined.target == rows) <= 1


def test_small_and_empty_inputs():
    # Fewer target rows than k: XTREME searches min(k, rows) neighbours.
    source = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    target = np.array([[2.0, 0.1], [0.1, 3.0]])  # not normalised: rows are normalised first
    mined = mine(source, target)
    assert as_scores(mined).keys() == {(0, 0), (1, 1)}
    assert target[0, 0] == 2.0  # the caller's array is untouched
    unit = unit_rows(target)
    assert unit_rows(unit) is unit  # already float32 unit rows: read in place, no copy
    assert len(mine(np.empty((0, 2)), target)) == 0


def test_pipeline_bucc_mines_distinct_sentences_and_never_a_repeated_one():
    # As XTREME: sentences are mined once per distinct text, and a sentence that occurs more
    # than once in its file maps back to no id, so it is never a candidate.
    from xstilts.data.examples import BitextCorpus
    from xstilts.pipeline.retrieval import SEARCHERS

    source = {"de-1": "eins", "de-2": "zwei", "de-3": "drei", "de-4": "zwei"}
    target = {"en-1": "one", "en-2": "two", "en-3": "three"}
    corpus = BitextCorpus("de", "en", source, target, (("de-1", "en-1"), ("de-3", "en-3")))
    rng = np.random.default_rng(1)
    base = unit_rows(rng.standard_normal((3, 8)))
    src_vectors = base[[0, 1, 2, 1]]  # identical text, identical vector
    predictions, gold, info = SEARCHERS["bucc"](src_vectors, base, corpus)
    assert set(predictions) <= {("de-1", "en-1"), ("de-3", "en-3")}
    assert info["threshold_tuned_on_eval_split"] and info["candidates"] == 2
    assert gold == [("de-1", "en-1"), ("de-3", "en-3")]
    assert set(predictions) == set(gold)


def test_retrieve_languages_tunes_bucc_on_dev_and_applies_it_to_test(tmp_path, data_dir, tiny_encoder):
    from pipeline_helpers import tiny_config

    from xstilts.config import load_config
    from xstilts.errors import DataError
    from xstilts.pipeline.context import PhaseContext
    from xstilts.pipeline.graph import TrialGraph
    from xstilts.pipeline.retrieval import retrieve_languages

    pack, local = data_dir / "target" / "bucc2018", tmp_path / "data" / "target" / "bucc2018"
    local.mkdir(parents=True)
    for suffix in ("zh", "en", "gold"):
        text = (pack / f"zh-en.dev.{suffix}").read_text(encoding="utf-8")
        (local / f"zh-en.dev.{suffix}").write_text(text, encoding="utf-8")
        # A test split that differs from dev: its gold (and so its capped sentences) start later.
        test_text = "".join(text.splitlines(keepends=True)[20:]) if suffix == "gold" else text
        (local / f"zh-en.test.{suffix}").write_text(test_text, encoding="utf-8")

    def run(split: str) -> dict:
        target = {"bucc2018": {"eval_split": split, "max_eval_examples": 40, "max_length": 32, "languages": ["zh"]}}
        graph = TrialGraph.build(load_config(tiny_config(tmp_path, tmp_path / "data", tiny_encoder, target)))
        _, meta = retrieve_languages(graph.node("retrieval"), tiny_encoder, tmp_path / split, PhaseContext.for_graph(graph))
        return meta["languages"]["zh"]

    dev, test = run("dev"), run("test")
    assert dev["threshold_tuned_on_eval_split"] and not test["threshold_tuned_on_eval_split"]
    assert test["threshold"] == dev["threshold"]  # tuned on dev, applied to test
    (local / "zh-en.test.gold").unlink()
    with pytest.raises(DataError, match="zh-en.test.gold"):
        run("test")
