"""Padding waste of length-grouped batches (batch size 32) on real task data."""

from __future__ import annotations

import pytest

from xstilts.data.readers import read
from xstilts.features import featurize, length_grouped_batches, padding_stats

DATASETS = {
    "pawsx": ("xtreme_pair_tsv", "target/pawsx/dev-en.tsv", "pair_classification", 128),
    "xnli": ("xtreme_pair_tsv", "target/xnli/dev-en.tsv", "pair_classification", 128),
    "panx": ("xtreme_tagging_tsv", "target/panx/dev-de.tsv", "tagging", 128),
    "xquad": ("squad_json", "target/xquad/xquad.en.json", "span_extraction", 384),
}


def waste(batches, lengths) -> float:
    padded, real = padding_stats(batches, lengths)
    return padded / real - 1


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_length_grouping_keeps_padding_waste_under_five_percent(dataset, tokenizer, data_dir):
    fmt, path, kind, max_length = DATASETS[dataset]
    lengths = featurize(kind, read(fmt, data_dir / path), tokenizer, max_length=max_length).lengths()
    train = max(waste(length_grouped_batches(lengths, 32, seed=seed, epoch=0), lengths) for seed in range(3))
    evaluation = waste(length_grouped_batches(lengths, 32, shuffle=False), lengths)
    unsorted = waste([list(range(i, min(i + 32, len(lengths)))) for i in range(0, len(lengths), 32)], lengths)
    print(
        f"\n{dataset}: {len(lengths)} features; padding waste train {train:.2%} (worst of 3 seeds), "
        f"eval {evaluation:.2%}, file order {unsorted:.2%}"
    )
    assert train <= 0.05
    assert evaluation <= train + 1e-12
    assert unsorted > train
