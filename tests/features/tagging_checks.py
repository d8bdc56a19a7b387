"""A check the tagging tests share: every word of every sentence is predicted by some feature."""

from __future__ import annotations

from xstilts.features.featureset import FeatureSet
from xstilts.features.tagging import _owned_positions


def unpredicted_word_count(feature_set: FeatureSet) -> int:
    """Words that no feature predicts (0 by construction: long sentences are windowed)."""
    predicted = [0] * feature_set.num_examples
    for feature, example in enumerate(feature_set.refs["example_index"]):
        predicted[example] += len(_owned_positions(feature_set, feature))
    return sum(n - p for n, p in zip(feature_set.examples["n_words"], predicted))
