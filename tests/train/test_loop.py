import logging

import pytest
import torch
from accelerate.utils import send_to_device

from tiny_training import (
    DeepLinearRegressor,
    NanLossAtCall,
    OutOfMemoryOnce,
    TinyClassifier,
    accuracy,
    collate,
    eval_fn_for,
    make_dataset,
    same_weights,
    seeded,
    tiny_bert,
)
from xstilts.errors import ConfigError
from xstilts.train.checkpoint import load_weights
from xstilts.train.loop import train
from xstilts.train.settings import TrainSettings
from xstilts.train.batching import StepBatch
from xstilts.train.loop import make_accelerator
from xstilts.train.stepping import StepRunner

DATA = make_dataset(48)
ENGLISH_DEV = make_dataset(24, seed=9)
TARGET_DEV = make_dataset(24, seed=11)
EVAL = eval_fn_for(ENGLISH_DEV, TARGET_DEV)
SETTINGS = TrainSettings(
    learning_rate=1e-2,
    batch_size=8,
    micro_batch_size=4,
    epochs=3,
    eval_every=4,
    checkpoint_every=3,
    log_every=1,
    bf16=False,  # GPU runs compare exactly too (CPU runs use bf16_on_cpu)
    warmup_ratio=0.1,
)


def run(tmp_path, name, model=None, settings=SETTINGS, **kwargs):
    model = model if model is not None else seeded(TinyClassifier)
    kwargs.setdefault("eval_fn", EVAL)
    outcome = train(model, DATA, collate, settings, checkpoint_dir=tmp_path / name, **kwargs)
    return outcome, model


def losses(outcome):
    return [point.train_loss for point in outcome.curve]


def test_same_seed_gives_identical_losses_scores_and_weights(tmp_path):
    first, first_model = run(tmp_path, "a", seeded(tiny_bert), select_on=("score", "target_dev"))
    second, second_model = run(tmp_path, "b", seeded(tiny_bert), select_on=("score", "target_dev"))
    assert first.curve == second.curve  # exact float equality, scores included
    assert losses(first)[0] is not None and len(first.curve) == first.steps == 18
    assert same_weights(first_model, second_model)
    other_seed, _ = run(tmp_path, "c", seeded(tiny_bert), settings=SETTINGS.model_copy(update={"seed": 1}))
    assert losses(other_seed) != losses(first)


def test_a_finished_run_returns_at_once_with_its_final_weights(tmp_path):
    first, trained = run(tmp_path, "a")
    fresh = seeded(TinyClassifier, seed=5)
    again = train(fresh, DATA, collate, SETTINGS, checkpoint_dir=tmp_path / "a", eval_fn=EVAL)
    assert (first.steps_trained_this_call, again.steps_trained_this_call) == (18, 0)
    assert again.curve == first.curve and again.best == first.best and again.status == "done"
    assert same_weights(fresh, trained)


def test_best_weights_are_kept_per_selection_key(tmp_path):
    outcome, _ = run(tmp_path, "a", select_on=("score", "target_dev"))
    evaluated = [point for point in outcome.curve if point.scores]
    assert [point.step for point in evaluated] == [4, 8, 12, 16, 18]  # every 4 steps, and the end
    for key, dev in (("score", ENGLISH_DEV), ("target_dev", TARGET_DEV)):
        best_point = max(evaluated, key=lambda point: point.scores[key])  # max() keeps the first tie
        best = outcome.best[key]
        assert (best.step, best.score) == (best_point.step, best_point.scores[key])
        reloaded = TinyClassifier()
        load_weights(reloaded, best.path)
        reloaded.eval()
        with torch.no_grad():
            assert accuracy(reloaded, dev) == best.score


def test_early_stopping_after_patience_evaluations_without_improvement(tmp_path):
    scores = iter([50.0, 60.0, 55.0, 59.0, 70.0])
    settings = SETTINGS.model_copy(update={"eval_every": 2, "patience": 2})
    outcome, _ = run(tmp_path, "a", settings=settings, eval_fn=lambda model: {"score": next(scores)})
    assert outcome.steps == 8 and outcome.meta["early_stopped_at_step"] == 8
    assert outcome.best["score"].step == 4 and outcome.status == "done"


def test_a_missing_selection_key_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="select_on"):
        run(tmp_path, "a", select_on=("score", "target_dev"), eval_fn=lambda model: {"score": 1.0})


class Crash(Exception):
    pass


def crash_at(step):
    def progress(report):
        if report.step == step:
            raise Crash

    return progress


def test_a_crashed_run_resumes_past_a_corrupt_checkpoint_to_the_same_result(tmp_path, caplog):
    reference, reference_model = run(tmp_path, "reference")
    with pytest.raises(Crash):
        run(tmp_path, "resumed", progress=crash_at(8))
    newest = tmp_path / "resumed" / "checkpoints" / "step-00000006" / "optimizer.pt"
    data = bytearray(newest.read_bytes())
    data[len(data) // 2] ^= 0xFF
    newest.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING):
        resumed, resumed_model = run(tmp_path, "resumed")
    assert "ignoring corrupt checkpoint" in caplog.text
    assert resumed.meta["resumed_at_steps"] == [3] and resumed.meta["corrupt_checkpoints"] == ["step-00000006"]
    assert resumed.steps_trained_this_call == 15
    assert resumed.curve == reference.curve and resumed.best == {
        key: best.__class__(**{**vars(best), "path": best.path.replace("reference", "resumed")})
        for key, best in reference.best.items()
    }
    assert same_weights(resumed_model, reference_model)
    assert resumed.throughput.steps == resumed.steps == 18


def test_resuming_under_other_settings_is_refused(tmp_path):
    with pytest.raises(Crash):
        run(tmp_path, "a", progress=crash_at(4))
    with pytest.raises(ConfigError, match="differing: learning_rate"):
        run(tmp_path, "a", settings=SETTINGS.model_copy(update={"learning_rate": 5e-3}))


def test_learning_rate_one_diverges_within_a_few_steps(tmp_path):
    settings = SETTINGS.model_copy(update={"learning_rate": 1.0, "warmup_ratio": 0.0, "batch_size": 4})
    outcome, _ = run(tmp_path, "a", seeded(DeepLinearRegressor), settings=settings, eval_fn=None)
    assert outcome.status == "diverged" and outcome.diverged_step <= 5
    assert outcome.steps == outcome.diverged_step - 1
    assert outcome.last_finite_loss == losses(outcome)[-1]
    sane, _ = run(
        tmp_path,
        "b",
        seeded(DeepLinearRegressor),
        settings=settings.model_copy(update={"learning_rate": 1e-3}),
        eval_fn=None,
    )
    assert sane.status == "done" and sane.steps == 36
    again = train(seeded(DeepLinearRegressor), DATA, collate, settings, checkpoint_dir=tmp_path / "a")
    assert again.status == "diverged" and again.steps_trained_this_call == 0


def test_an_injected_nan_stops_the_run_at_that_step(tmp_path):
    settings = SETTINGS.model_copy(update={"micro_batch_size": 8})  # one forward per step
    outcome, _ = run(tmp_path, "a", NanLossAtCall(call=5), settings=settings)
    assert (outcome.status, outcome.diverged_step, outcome.steps) == ("diverged", 5, 4)
    assert outcome.last_finite_loss == outcome.curve[3].train_loss
    assert all(point.scores is None or point.step == 4 for point in outcome.curve)  # no final eval of a NaN model


def test_out_of_memory_halves_the_micro_batch_and_keeps_the_effective_batch(tmp_path):
    halved, halved_model = run(tmp_path, "a", seeded(OutOfMemoryOnce, limit=2))
    planned, planned_model = run(
        tmp_path, "b", seeded(TinyClassifier), settings=SETTINGS.model_copy(update={"micro_batch_size": 2})
    )
    assert halved.meta["oom_halvings"] == [{"step": 1, "micro_batch_size": 2, "accumulation_steps": 4}]
    assert halved.curve == planned.curve and same_weights(halved_model, planned_model)
    assert halved.examples_seen == planned.examples_seen == 3 * 48


def test_out_of_memory_at_micro_batch_one_is_raised(tmp_path):
    settings = SETTINGS.model_copy(update={"batch_size": 2, "micro_batch_size": 1})
    with pytest.raises(torch.cuda.OutOfMemoryError):
        run(tmp_path, "a", seeded(OutOfMemoryOnce, limit=0), settings=settings)


def test_gradient_accumulation_matches_one_big_batch(tmp_path):
    accumulated, _ = run(
        tmp_path, "a", seeded(TinyClassifier, dropout=0.0), settings=SETTINGS.model_copy(update={"micro_batch_size": 2})
    )
    whole, _ = run(
        tmp_path, "b", seeded(TinyClassifier, dropout=0.0), settings=SETTINGS.model_copy(update={"micro_batch_size": 8})
    )
    assert losses(accumulated) == pytest.approx(losses(whole), rel=1e-5)


def test_an_uneven_step_weights_every_example_equally():
    accelerator = make_accelerator()
    model = seeded(TinyClassifier, dropout=0.0).to(accelerator.device)
    runner = StepRunner(accelerator, model, torch.optim.SGD(model.parameters(), lr=0.1), None, DATA, collate, None)
    runner.accumulate_gradients(StepBatch(0, 0, [[0, 1, 2, 3, 4]], global_examples=5), chunk_size=3)
    chunked = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    model(**send_to_device(collate(DATA[:5]), accelerator.device)).loss.backward()
    assert all(torch.allclose(a, p.grad, atol=1e-7) for a, p in zip(chunked, model.parameters()))


def test_steps_cap_subset_batch_order_and_progress(tmp_path):
    seen, reports = [], []

    def recording_collate(features):
        seen.extend(feature["input_ids"] for feature in features)
        return collate(features)

    settings = SETTINGS.model_copy(update={"max_steps": 5, "max_train_examples": 16, "epochs": 4})
    outcome = train(
        seeded(TinyClassifier),
        DATA,
        recording_collate,
        settings,
        checkpoint_dir=tmp_path / "a",
        progress=reports.append,
        batch_order=lambda epoch, size: [list(range(i, i + size)) for i in range(0, 48, size)],
    )
    assert outcome.steps == 5 and outcome.examples_seen == 40
    assert {tuple(ids) for ids in seen} <= {tuple(DATA[i]["input_ids"]) for i in range(48)}
    assert len({tuple(ids) for ids in seen}) <= 16  # only the fixed subset is ever trained on
    assert [r.step for r in reports] == [1, 2, 3, 4, 5] and all(r.total_steps == 5 for r in reports)
    assert reports[0].learning_rate > 0 and reports[-1].learning_rate == pytest.approx(0.0)


def test_throughput_counts_real_and_padded_tokens(tmp_path):
    outcome, model = run(tmp_path, "a", eval_fn=None)
    result = outcome.throughput
    assert (result.steps, result.examples) == (outcome.steps, outcome.examples_seen)
    assert 0 < result.real_tokens_per_s < result.padded_tokens_per_s
    assert result.peak_memory_bytes > 0
    assert 0 < result.mfu < 1 and result.peak_flops_start > 0 and result.peak_flops_end > 0
    assert result.flops > 0 and result.flops % (6 * outcome.meta["flop_params"]) == 0


def test_a_finished_phase_keeps_only_its_final_checkpoint_and_live_bests(tmp_path):
    outcome, _ = run(tmp_path, "a", select_on=("score", "target_dev"))
    root = tmp_path / "a"
    assert [p.name for p in (root / "checkpoints").iterdir()] == ["step-00000018"]
    on_disk = {str(p) for p in root.glob("best/*/step-*")}
    assert on_disk == {best.path for best in outcome.best.values()}


def test_a_finished_run_with_a_corrupt_final_checkpoint_trains_again_to_the_same_result(tmp_path, caplog):
    first, first_model = run(tmp_path, "a")
    weights = tmp_path / "a" / "checkpoints" / "step-00000018" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-3] ^= 0xFF
    weights.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING):
        again, again_model = run(tmp_path, "a")
    assert "ignoring corrupt checkpoint" in caplog.text
    assert again.steps_trained_this_call == 18 and again.curve == first.curve
    assert same_weights(again_model, first_model)


def test_bf16_trains_under_autocast_and_stays_deterministic(tmp_path):
    # bf16_on_cpu switches it on a CPU, bf16 on a GPU (SETTINGS has both off).
    bf16 = SETTINGS.model_copy(update={"bf16_on_cpu": True, "bf16": True})
    first, first_model = run(tmp_path, "bf16-a", seeded(tiny_bert), settings=bf16)
    second, _ = run(tmp_path, "bf16-b", seeded(tiny_bert), settings=bf16)
    fp32, _ = run(tmp_path, "fp32", seeded(tiny_bert))
    assert first.curve == second.curve
    assert losses(first) != losses(fp32)  # autocast really changed the arithmetic
    assert all(abs(a - b) < 0.05 for a, b in zip(losses(first), losses(fp32)))
    assert all(p.dtype == torch.float32 for p in first_model.parameters())  # master weights stay fp32


def test_the_other_devices_bf16_switch_changes_nothing(tmp_path):
    # bf16 is the GPU's switch and bf16_on_cpu the CPU's: flipping the one for the device this
    # test does not run on must leave the arithmetic exactly as it was.
    other = {"bf16": True} if not torch.cuda.is_available() else {"bf16_on_cpu": True}
    plain, _ = run(tmp_path, "plain", seeded(tiny_bert))
    flipped, _ = run(tmp_path, "flipped", seeded(tiny_bert), settings=SETTINGS.model_copy(update=other))
    assert losses(plain) == losses(flipped)


class CountingClassifier(TinyClassifier):
    def __init__(self):
        super().__init__(dropout=0.0)  # no dropout: merged and split passes see the same masks
        self.batch_sizes = []

    def forward(self, input_ids, attention_mask, labels=None):
        self.batch_sizes.append(len(input_ids))
        return super().forward(input_ids, attention_mask, labels)


def test_micro_batch_tokens_merges_passes_without_changing_the_steps(tmp_path):
    plain = SETTINGS.model_copy(update={"eval_every": None})
    split, split_model = run(tmp_path, "split", seeded(CountingClassifier), settings=plain, eval_fn=None)
    merged, merged_model = run(tmp_path, "merged", seeded(CountingClassifier),
                               settings=plain.model_copy(update={"micro_batch_tokens": 8 * 12}), eval_fn=None)
    tight, tight_model = run(tmp_path, "tight", seeded(CountingClassifier),
                             settings=plain.model_copy(update={"micro_batch_tokens": 4 * 12 - 1}), eval_fn=None)
    assert split.steps == merged.steps == tight.steps == 18
    assert set(split_model.batch_sizes) <= {4} and len(split_model.batch_sizes) == 36
    assert len(merged_model.batch_sizes) < len(split_model.batch_sizes) and 8 in merged_model.batch_sizes
    assert sum(merged_model.batch_sizes) == sum(split_model.batch_sizes)  # the same examples, fewer passes
    assert len(tight_model.batch_sizes) >= 36  # a budget below one micro-batch merges nothing
    for a, b in zip(losses(split), losses(merged)):
        assert abs(a - b) <= 1e-5 * max(1.0, abs(a))  # per-example mean loss: same objective
