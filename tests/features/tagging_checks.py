"""What the tagging tests share: every word is predicted by some feature; gold labels as logits."""

from __future__ import annotations

import numpy as np

from xstilts.features.featureset import FeatureSet
from xstilts.features.labels import IGNORE_INDEX
from xstilts.features.tagging import _owned_positions


def unpredicted_word_count(feature_set: FeatureSet) -> int:
    """Words that no feature predicts (0 by construction: long sentences are windowed)."""
    predicted = [0] * feature_set.num_examples
    for feature, example in enumerate(feature_set.refs["example_index"]):
        predicted[example] += len(_owned_positions(feature_set, feature))
    return sum(n - p for n, p in zip(feature_set.examples["n_words"], predicted))


def one_hot_gold(fs: FeatureSet, num_labels: int) -> list[np.ndarray]:
    """The gold labels as one-hot 'logits' per feature, so mapping back must return the gold tags."""
    rows = []
    for labels in fs.inputs["labels"]:
        row = np.zeros((len(labels), num_labels))
        # Positions without a label get an arbitrary class: they must be ignored when mapping back.
        row[np.arange(len(labels)), [num_labels - 1 if lab == IGNORE_INDEX else lab for lab in labels]] = 1.0
        rows.append(row)
    return rows
