"""The work ceiling beside each ratio against Trainer: the FLOPs of the Trainer side's padded batches."""

from __future__ import annotations

import pytest
import torch

from benchmarks.hf_baseline import trainer_flops_per_example, work_ceiling

# N = 15 weights outside the embedding, no attention: a row of width w costs 2*15*w (forward), 6*15*w (training).
MODEL = torch.nn.Sequential(torch.nn.Embedding(100, 4), torch.nn.Linear(4, 3))


def _pad_per_batch(rows: list[dict]) -> dict:
    width = max(len(row["input_ids"]) for row in rows)
    return {"input_ids": torch.zeros(len(rows), width, dtype=torch.long)}


def test_rows_padded_up_front_cost_their_full_width_whatever_the_draw():
    rows = [{"input_ids": [1] * 8} for _ in range(5)]
    assert trainer_flops_per_example(MODEL, rows, _pad_per_batch, 2, training=False) == pytest.approx(2 * 15 * 8)


def test_a_batch_padded_to_its_longest_row_charges_that_width_to_every_row():
    rows = [{"input_ids": [1] * n} for n in (2, 4)]
    assert trainer_flops_per_example(MODEL, rows, _pad_per_batch, 2, training=True) == pytest.approx(6 * 15 * 4)
    # One row a batch: no padding, so the mean is the mean real cost, (2 + 4) / 2 rows wide, up to the draw.
    alone = trainer_flops_per_example(MODEL, rows, _pad_per_batch, 1, training=True, draws=2000)
    assert alone == pytest.approx(6 * 15 * 3, rel=0.05)


def test_the_ceiling_is_the_trainer_sides_flops_over_those_of_the_real_tokens():
    ratio, text = work_ceiling(6 * 15 * 4, 6 * 15 * 3)
    assert ratio == pytest.approx(4 / 3)
    assert text.startswith("work ceiling 1.33×")
