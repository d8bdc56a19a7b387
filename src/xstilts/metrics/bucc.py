"""BUCC 2018 bitext mining: F1 over aligned id pairs, and XTREME's dev-tuned score threshold.

XTREME mines candidate pairs with ratio-margin scores (xstilts.pipeline.mining, as its
``mine_bitext``), picks the score threshold that maximises F1 against the dev gold
(``optimize_threshold``, as its ``bucc_optimize``), and keeps every test candidate scoring at
least that threshold (``pairs_at_or_above``, as its ``bucc_extract``). Checked against XTREME's
own outputs: tests/fixtures/bucc_mining/.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

Pair = tuple[str, ...]  # (source id, target id); any tuple from a split line is accepted


def bucc_f1(gold: Iterable[Pair], predictions: Iterable[Pair]) -> dict[str, float]:
    """F1/precision/recall (0-100) of the predicted pair *set* against the gold pair set."""
    gold_set, predicted_set = set(gold), set(predictions)
    correct = len(gold_set & predicted_set)
    if correct == 0:
        return {"f1": 0.0, "precision": 0.0, "recall": 0.0}
    precision = correct / len(predicted_set)
    recall = correct / len(gold_set)
    f1 = 2 * precision * recall / (precision + recall)
    return {"f1": f1 * 100, "precision": precision * 100, "recall": recall * 100}


def optimize_threshold(candidate_scores: Mapping[Pair, float], gold: Collection[Pair]) -> float:
    """The score threshold that maximises F1 of ``pairs_at_or_above`` against ``gold``.

    Walk the candidates from best to worst score; whenever keeping the top i gives a strictly
    better F1, put the threshold half-way between the i-th and the next score (ties keep
    their insertion order, as Python's stable sort does in XTREME). If no candidate is
    correct the threshold stays 0, as in XTREME. XTREME crashes when the best cut is after
    the last candidate; we then return that candidate's score, which keeps them all.
    """
    ranked = sorted(candidate_scores.items(), key=lambda item: -item[1])
    gold_set = set(gold)
    threshold, best_f1, correct = 0.0, 0.0, 0
    for rank, (pair, score) in enumerate(ranked, start=1):
        correct += pair in gold_set
        if correct == 0:
            continue
        precision, recall = correct / rank, correct / len(gold_set)
        f1 = 2 * precision * recall / (precision + recall)
        if f1 > best_f1:
            best_f1 = f1
            next_score = ranked[rank][1] if rank < len(ranked) else score
            threshold = (score + next_score) / 2
    return threshold


def pairs_at_or_above(candidate_scores: Mapping[Pair, float], threshold: float) -> list[Pair]:
    """Candidates whose score is >= threshold, in the mapping's order."""
    return [pair for pair, score in candidate_scores.items() if score >= threshold]


def mine_with_dev_threshold(
    dev_scores: Mapping[Pair, float], dev_gold: Collection[Pair], test_scores: Mapping[Pair, float]
) -> tuple[float, list[Pair]]:
    """Tune the threshold on dev, apply it to test: returns (threshold, mined test pairs)."""
    threshold = optimize_threshold(dev_scores, dev_gold)
    return threshold, pairs_at_or_above(test_scores, threshold)
