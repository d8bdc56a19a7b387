"""Windowed tagging scores what the full sentence scores, on one fixed model.

The fixed model sees only a token's neighbourhood (a linear model over the tokens within
RADIUS, no absolute positions, no attention), fitted to PAN-X gold so that its span F1 is far
from zero, and a word's prediction depends on nothing a window can cut away: every owned word
keeps more context inside its window than the model reaches. Run at max_length 128
(long sentences windowed) and 512 (none windowed) over every ja and zh dev sentence that fits
512, the two runs must agree word for word; any misplaced window, shifted word or fallback tag
shows up as a difference.
"""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn
from transformers import AutoTokenizer

from xstilts.data.splits import read_split
from xstilts.features import IGNORE_INDEX, featurize
from xstilts.metrics.tagging import span_f1
from xstilts.pipeline.predict import predict_pooled
from xstilts.tasks.registry import get_task

RADIUS = 3  # tokens either side a prediction sees; windows give owned words about 30


class LocalTagger(nn.Module):
    """Naive-Bayes tagger over a token's neighbourhood: the logits at position t are the sum,
    over offsets d in [-RADIUS, RADIUS], of a per-offset table row for the token at t + d."""

    def __init__(self, tables: torch.Tensor):
        super().__init__()
        self.tables = nn.Parameter(tables, requires_grad=False)  # [offsets, vocab, labels]

    def forward(self, input_ids, attention_mask, **_ignored):
        length = input_ids.size(1)
        logits = 0
        for k, d in enumerate(range(-RADIUS, RADIUS + 1)):
            ids, mask = (torch.nn.functional.pad(t, (RADIUS, RADIUS)) for t in (input_ids, attention_mask))
            shifted = slice(RADIUS + d, RADIUS + d + length)
            logits = logits + self.tables[k][ids[:, shifted]] * mask[:, shifted].unsqueeze(-1)
        return SimpleNamespace(logits=logits)


def fit_tables(feature_sets, vocab_size: int, num_labels: int, steps: int = 40, every: int = 4) -> torch.Tensor:
    """Logistic regression of each labelled token's gold label on the tokens within RADIUS of it
    (one weight row per offset and token; outside the sequence counts as one more token), fitted
    on every `every`-th feature: enough for a model that finds entities, in seconds."""
    rows, targets = [], []
    for fs in feature_sets:
        for ids, labels in zip(fs.inputs["input_ids"][::every], fs.inputs["labels"][::every]):
            where = np.flatnonzero(np.asarray(labels) != IGNORE_INDEX)
            padded = np.concatenate([np.full(RADIUS, vocab_size), ids, np.full(RADIUS, vocab_size)])
            rows.append(padded[where[:, None] + RADIUS + np.arange(-RADIUS, RADIUS + 1)])
            targets.append(np.asarray(labels)[where])
    features = np.concatenate(rows) + np.arange(2 * RADIUS + 1) * (vocab_size + 1)
    # Only the (offset, token) pairs that occur get a trained row: a compact table fits in seconds.
    seen, compact = np.unique(features, return_inverse=True)
    weight = torch.zeros(len(seen), num_labels, requires_grad=True)
    optimizer = torch.optim.Adam([weight], lr=0.1)
    inputs, target = torch.tensor(compact.reshape(features.shape)), torch.tensor(np.concatenate(targets))
    for _ in range(steps):
        loss = nn.functional.cross_entropy(weight[inputs].sum(dim=1), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    tables = torch.zeros((2 * RADIUS + 1) * (vocab_size + 1), num_labels)
    tables[torch.tensor(seen)] = weight.detach()
    return tables.view(2 * RADIUS + 1, vocab_size + 1, num_labels)[:, :vocab_size]


@pytest.fixture(scope="module")
def runs(tiny_encoder, data_dir):
    """Predictions at max_length 128 and 512 and gold, per language, on sentences fitting 512."""
    spec = get_task("panx")
    tokenizer = AutoTokenizer.from_pretrained(tiny_encoder)
    examples = {lang: read_split(spec, data_dir, "dev", lang) for lang in ("ja", "zh")}
    sets = {n: {lang: featurize("tagging", ex, tokenizer, max_length=n, labels=spec.labels)
                for lang, ex in examples.items()} for n in (128, 512)}
    model = LocalTagger(fit_tables(sets[512].values(), len(tokenizer), len(spec.labels)))
    predicted = {n: predict_pooled(model, sets[n], spec.labels, tokenizer.pad_token_id, 64) for n in sets}
    results = {}
    for lang, fs in sets[512].items():
        windows = Counter(fs.refs["example_index"])
        fits = [i for i in range(fs.num_examples) if windows[i] == 1]
        results[lang] = {
            "gold": [list(examples[lang][i].tags) for i in fits],
            128: [predicted[128][lang][i] for i in fits],
            512: [predicted[512][lang][i] for i in fits],
            "windowed": sum(Counter(sets[128][lang].refs["example_index"])[i] > 1 for i in fits),
        }
    return results


@pytest.mark.parametrize("lang", ["ja", "zh"])
def test_windowed_span_f1_equals_the_full_sentence_run(runs, lang):
    run = runs[lang]
    f1 = {n: span_f1(run["gold"], run[n])["f1"] for n in (128, 512)}
    print(f"\npanx dev-{lang}: {len(run['gold'])} sentences fit 512, {run['windowed']} of them windowed at "
          f"128; span F1 {f1[128]:.3f} at 128, {f1[512]:.3f} at 512")
    assert run["windowed"] > 0
    assert f1[512] > 5, "the fixed model must find entities, or equal F1 would prove nothing"
    assert abs(f1[128] - f1[512]) <= 0.1
    differing = sum(a != b for p, q in zip(run[128], run[512]) for a, b in zip(p, q, strict=True))
    assert differing == 0

