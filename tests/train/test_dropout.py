"""16-bit dropout masks (train/dropout.py): the keep rate, unbiasedness, dtype and seeding."""

import pytest
import torch
from torch import nn

from xstilts.train.dropout import Dropout16, dropout, keep_mask, sixteen_bit_dropout


@pytest.mark.parametrize("p", [0.1, 0.25, 0.5])
def test_the_keep_rate_is_one_minus_p_within_sampling_error(p):
    torch.manual_seed(0)
    n = 2_000_003  # not a multiple of the three lanes a draw gives
    kept = keep_mask((n,), p).double().mean().item()
    expected = 1 - round(p * 65536) / 65536
    assert abs(kept - expected) < 5 * (expected * (1 - expected) / n) ** 0.5, (kept, expected)


def test_every_lane_of_a_draw_is_uniform():
    # The int64 draw's top bit is always 0: a lane taken from the top 16 bits would be kept ~25 % too often.
    torch.manual_seed(1)
    mask = keep_mask((3 * 400_000,), 0.5).view(-1, 3).double().mean(0)
    assert torch.all((mask - 0.5).abs() < 0.005), mask


def test_dropout_is_unbiased_keeps_the_dtype_and_passes_gradients_through_the_kept_elements():
    torch.manual_seed(2)
    x = torch.ones(1_000_000, dtype=torch.bfloat16, requires_grad=True)
    y = dropout(x, 0.1, training=True)
    assert y.dtype == torch.bfloat16
    assert abs(y.double().mean().item() - 1.0) < 0.005
    y.sum().backward()
    assert torch.equal(x.grad != 0, y != 0)
    assert dropout(x, 0.1, training=False) is x
    assert torch.count_nonzero(dropout(x, 1.0, training=True)) == 0


def _mask_after_seeding(seed: int) -> torch.Tensor:
    torch.manual_seed(seed)  # the generator train() seeds and checkpoints
    return keep_mask((4, 7, 9), 0.1)


def test_the_same_seed_gives_the_same_mask_and_another_seed_another():
    first, again, other = (_mask_after_seeding(seed) for seed in (3, 3, 4))
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_the_swap_replaces_every_plain_dropout_inside_the_block_and_restores_it():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.1), nn.Sequential(nn.Dropout(0.2), nn.Dropout(0.0)))
    originals = [m for m in model.modules() if type(m) is nn.Dropout]
    with sixteen_bit_dropout(model) as swapped:
        assert swapped == 2  # p = 0 stays as it is: nothing to draw
        assert [type(model[1]), type(model[2][0]), type(model[2][1])] == [Dropout16, Dropout16, nn.Dropout]
        assert (model[1].p, model[2][0].p) == (0.1, 0.2)
    assert [m for m in model.modules() if type(m) is nn.Dropout] == originals
