"""Accuracy, as XTREME scores PAWS-X, XNLI and Tatoeba (labels compared as exact strings)."""

from __future__ import annotations

from collections.abc import Sequence


def accuracy(gold: Sequence[str], predictions: Sequence[str]) -> dict[str, float]:
    """Percentage of positions where the prediction equals the gold label.

    Tatoeba predictions are retrieved line indices written as text, so "7" and "07" differ,
    exactly as XTREME compares them.
    """
    if len(gold) != len(predictions):
        raise ValueError(f"{len(predictions)} predictions for {len(gold)} gold labels")
    if not gold:
        raise ValueError("no examples to score")
    correct = sum(int(pred == label) for pred, label in zip(predictions, gold))
    return {"accuracy": float(correct) / len(predictions) * 100}
