"""Span-level precision/recall/F1 via seqeval, as XTREME scores PAN-X *and* UD-POS.

XTREME runs seqeval's default (conlleval-style) chunker on POS tags too. A tag without a
B-/I- prefix is split into its first character (the chunk tag) and the rest (the type), so
runs of the same POS tag merge into one "entity": ``NOUN NOUN`` is a single span. That is why
the UD-POS number is not token accuracy; we keep it to stay comparable with published scores.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from seqeval.metrics import f1_score, precision_score, recall_score


def span_f1(
    gold: Sequence[Sequence[str]], predictions: Sequence[Sequence[str]]
) -> dict[str, float]:
    """Micro span F1, precision and recall (0-100) over sentences of tags."""
    if len(gold) != len(predictions):
        raise ValueError(f"{len(predictions)} predicted sentences for {len(gold)} gold sentences")
    if not gold:
        raise ValueError("no sentences to score")
    for index, (gold_tags, pred_tags) in enumerate(zip(gold, predictions), start=1):
        if len(gold_tags) != len(pred_tags):
            raise ValueError(
                f"sentence {index}: {len(pred_tags)} predicted tags for {len(gold_tags)} gold tags"
            )
    # seqeval only recognises nested *lists* (tuples would be read as one flat sequence).
    gold_lists = [list(tags) for tags in gold]
    pred_lists = [list(tags) for tags in predictions]
    with warnings.catch_warnings():
        # seqeval warns once per non-BIO tag (every POS tag) and on empty spans; both expected.
        warnings.simplefilter("ignore", UserWarning)
        return {
            "f1": float(f1_score(gold_lists, pred_lists)) * 100,
            "precision": float(precision_score(gold_lists, pred_lists)) * 100,
            "recall": float(recall_score(gold_lists, pred_lists)) * 100,
        }
