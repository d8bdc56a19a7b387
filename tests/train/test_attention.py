"""CPU training kernels (train/attention.py) while training on CPU, SDPA while evaluating."""

import torch
from tiny_training import accuracy, collate, make_dataset, seeded, tiny_bert
from torch import nn

import xstilts.train.attention as attention
from xstilts.train.dropout import Dropout16
from xstilts.train.loop import train
from xstilts.train.settings import TrainSettings

SETTINGS = TrainSettings(learning_rate=1e-2, batch_size=8, micro_batch_size=4, epochs=2, eval_every=4,
                         log_every=1, bf16_on_cpu=True, warmup_ratio=0.1)
DATA = make_dataset(48)
DEV = make_dataset(24, seed=9)


def _dropout_kinds(model: nn.Module) -> set[type]:
    return {type(m) for m in model.modules() if isinstance(m, (nn.Dropout, Dropout16))}


def _trained(tmp_path, name, seen: list[tuple[str, str, frozenset]]):
    model = seeded(tiny_bert)

    def record(_module, _inputs):  # the implementation and dropout every forward pass ran with
        seen.append(("train" if model.training else "eval", model.config._attn_implementation,
                     frozenset(_dropout_kinds(model))))

    model.register_forward_pre_hook(record)
    outcome = train(model, DATA, collate, SETTINGS, checkpoint_dir=tmp_path / name,
                    eval_fn=lambda m: {"score": accuracy(m, DEV)})
    return outcome, model


def test_cpu_training_kernels_while_training_sdpa_while_evaluating_losses_match_sdpa(tmp_path, monkeypatch):
    seen: list[tuple[str, str, frozenset]] = []
    switched, model = _trained(tmp_path, "cpu", seen)
    on_gpu = torch.cuda.is_available()  # the switch is CPU-only: SDPA's fused kernels pay on a GPU
    assert {impl for mode, impl, _ in seen if mode == "train"} == {"sdpa" if on_gpu else attention.CPU_TRAINING}
    assert {kinds for mode, _, kinds in seen if mode == "train"} == {frozenset({nn.Dropout if on_gpu else Dropout16})}
    assert {impl for mode, impl, _ in seen if mode == "eval"} == {"sdpa"}
    assert {kinds for mode, _, kinds in seen if mode == "eval"} == {frozenset({nn.Dropout})}
    assert model.config._attn_implementation == "sdpa"  # restored for whatever evaluates it next
    assert _dropout_kinds(model) == {nn.Dropout}

    monkeypatch.setattr(attention, "_switchable", lambda model: [])  # the old behaviour: SDPA throughout
    plain_seen: list[tuple[str, str, frozenset]] = []
    plain, _ = _trained(tmp_path, "sdpa", plain_seen)
    assert {impl for _, impl, _ in plain_seen} == {"sdpa"}
    first, second = [p.train_loss for p in switched.curve], [p.train_loss for p in plain.curve]
    assert len(first) == len(second) == switched.steps == 12
    # Other dropout masks (16-bit draws) and bf16 softmax rounding: another noise path, same descent.
    assert all(abs(a - b) <= 0.1 * max(1.0, abs(b)) for a, b in zip(first, second)), (first, second)
    assert abs(sum(first[-4:]) - sum(second[-4:])) / 4 <= 0.05, (first, second)


def test_without_dropout_the_training_attention_equals_sdpa_in_fp32():
    model = tiny_bert().train()
    model.config.attention_probs_dropout_prob = 0.0  # dropout off: both sides are deterministic
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = 0.0
    batch = collate([DATA[i] for i in range(8)])
    batch["attention_mask"][:3, -4:] = 0  # padded rows: the mask must reach the scores
    reference = model(**batch).logits
    model.set_attn_implementation(attention.CPU_TRAINING)
    assert torch.allclose(model(**batch).logits, reference, atol=1e-5)


def test_a_model_without_attention_dropout_is_left_alone():
    model = tiny_bert()
    model.config.attention_probs_dropout_prob = 0.0
    switch = attention.TrainingAttention(model, torch.device("cpu"))
    with switch.using(attention.CPU_TRAINING):
        assert model.config._attn_implementation == "sdpa"
        assert _dropout_kinds(model) == {nn.Dropout}
