"""Eager attention while training on CPU, SDPA while evaluating: same losses within bf16 noise."""

import torch
from tiny_training import accuracy, collate, make_dataset, seeded, tiny_bert

import xstilts.train.attention as attention
from xstilts.train.loop import train
from xstilts.train.settings import TrainSettings

SETTINGS = TrainSettings(learning_rate=1e-2, batch_size=8, micro_batch_size=4, epochs=2, eval_every=4,
                         log_every=1, bf16_on_cpu=True, warmup_ratio=0.1)
DATA = make_dataset(48)
DEV = make_dataset(24, seed=9)


def _trained(tmp_path, name, seen: list[tuple[str, str]]):
    model = seeded(tiny_bert)

    def record(_module, _inputs):  # the implementation every forward pass ran with
        seen.append(("train" if model.training else "eval", model.config._attn_implementation))

    model.register_forward_pre_hook(record)
    outcome = train(model, DATA, collate, SETTINGS, checkpoint_dir=tmp_path / name,
                    eval_fn=lambda m: {"score": accuracy(m, DEV)})
    return outcome, model


def test_cpu_training_runs_eager_evaluation_sdpa_and_losses_match_sdpa_within_bf16_noise(tmp_path, monkeypatch):
    seen: list[tuple[str, str]] = []
    switched, model = _trained(tmp_path, "eager", seen)
    on_gpu = torch.cuda.is_available()  # the switch is CPU-only: SDPA's fused kernels pay on a GPU
    assert {impl for mode, impl in seen if mode == "train"} == {"sdpa" if on_gpu else "eager"}
    assert {impl for mode, impl in seen if mode == "eval"} == {"sdpa"}
    assert model.config._attn_implementation == "sdpa"  # restored for whatever evaluates it next

    monkeypatch.setattr(attention, "_switchable", lambda model: [])  # the old behaviour: SDPA throughout
    plain_seen: list[tuple[str, str]] = []
    plain, _ = _trained(tmp_path, "sdpa", plain_seen)
    assert {impl for _, impl in plain_seen} == {"sdpa"}
    first, second = [p.train_loss for p in switched.curve], [p.train_loss for p in plain.curve]
    assert len(first) == len(second) == switched.steps == 12
    # The same dropout masks (same seed); only the attention arithmetic's rounding differs.
    assert all(abs(a - b) <= 0.02 * max(1.0, abs(b)) for a, b in zip(first, second)), (first, second)


def test_a_model_without_attention_dropout_is_left_alone():
    model = tiny_bert()
    model.config.attention_probs_dropout_prob = 0.0
    switch = attention.TrainingAttention(model, torch.device("cpu"))
    with switch.using(attention.EAGER):
        assert model.config._attn_implementation == "sdpa"
