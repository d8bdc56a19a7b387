import pytest
import torch

from tiny_training import tiny_bert
from xstilts.train.settings import TrainSettings
from xstilts.train.schedule import build_optimizer, build_scheduler, parameter_groups


def test_biases_and_layernorm_are_not_decayed():
    model = tiny_bert()
    decayed, undecayed = parameter_groups(model, weight_decay=0.01)
    names = {id(p): n for n, p in model.named_parameters()}
    undecayed_names = {names[id(p)] for p in undecayed["params"]}
    decayed_names = {names[id(p)] for p in decayed["params"]}
    assert undecayed["weight_decay"] == 0.0 and decayed["weight_decay"] == 0.01
    assert all(n.endswith("bias") or "LayerNorm" in n for n in undecayed_names)
    assert any("LayerNorm.weight" in n for n in undecayed_names)
    assert not any(n.endswith("bias") or "LayerNorm" in n for n in decayed_names)
    assert len(undecayed_names) + len(decayed_names) == len(list(model.parameters()))


def test_learning_rate_warms_up_then_decays_linearly_to_zero():
    model = torch.nn.Linear(2, 2)
    settings = TrainSettings(learning_rate=1.0, warmup_ratio=0.2, batch_size=1, micro_batch_size=1)
    optimizer = build_optimizer(model, settings)
    scheduler = build_scheduler(optimizer, settings, total_steps=10)
    rates = []
    for _ in range(10):
        rates.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
    assert rates == pytest.approx([0.0, 0.5, 1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125])
