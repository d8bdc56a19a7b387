"""A run SIGKILLed mid-training (or mid-checkpoint-write) resumes to the uninterrupted result."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path


from tiny_training import collate, eval_fn_for, make_dataset, same_weights, seeded, tiny_bert
from xstilts.train.checkpoint import load_weights
from xstilts.train.loop import train
from xstilts.train.settings import TrainSettings

HERE = Path(__file__).parent
SETTINGS = TrainSettings(
    learning_rate=1e-2,
    batch_size=8,
    micro_batch_size=4,
    epochs=3,
    eval_every=4,
    checkpoint_every=3,
    log_every=1,
    bf16=False,  # GPU runs compare exactly too (CPU runs use bf16_on_cpu)
)


def train_here(checkpoint_dir):
    model = seeded(tiny_bert)
    outcome = train(
        model,
        make_dataset(48),
        collate,
        SETTINGS,
        checkpoint_dir=checkpoint_dir,
        eval_fn=eval_fn_for(make_dataset(24, seed=9), make_dataset(24, seed=11)),
        select_on=("score", "target_dev"),
    )
    return outcome, model


def script(checkpoint_dir, *extra):
    return [
        sys.executable,
        str(HERE / "run_tiny_training.py"),
        "--model",
        "bert",
        "--checkpoint-dir",
        str(checkpoint_dir),
        "--settings",
        SETTINGS.model_dump_json(),
        *extra,
    ]


def assert_matches_reference(resumed, resumed_model, reference, reference_model):
    assert resumed.curve == reference.curve
    assert {k: (b.step, b.score) for k, b in resumed.best.items()} == {
        k: (b.step, b.score) for k, b in reference.best.items()
    }
    assert same_weights(resumed_model, reference_model)
    final = seeded(tiny_bert, seed=3)
    load_weights(final, resumed.final_checkpoint)
    assert same_weights(final, reference_model)


def test_sigkill_mid_training_then_rerun_matches_an_uninterrupted_run(tmp_path):
    reference, reference_model = train_here(tmp_path / "reference")
    killed_dir = tmp_path / "killed"
    process = subprocess.Popen(script(killed_dir, "--step-sleep", "0.25"))
    try:
        deadline = time.monotonic() + 120
        while not (killed_dir / "checkpoints" / "step-00000003").is_dir():
            assert process.poll() is None and time.monotonic() < deadline, "no checkpoint appeared"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL
    newest = sorted((killed_dir / "checkpoints").glob("step-*"))[-1]
    assert "outcome" not in json.loads((newest / "state.json").read_text())  # not taken for finished

    resumed, resumed_model = train_here(killed_dir)
    assert resumed.meta["resumed_at_steps"] and 0 < resumed.steps_trained_this_call < reference.steps
    assert_matches_reference(resumed, resumed_model, reference, reference_model)
    again, _ = train_here(killed_dir)
    assert again.steps_trained_this_call == 0


def test_sigkill_inside_a_checkpoint_write_leaves_the_previous_checkpoint_usable(tmp_path):
    reference, reference_model = train_here(tmp_path / "reference")
    killed_dir = tmp_path / "killed"
    process = subprocess.run(script(killed_dir, "--kill-in-checkpoint-write", "2"), timeout=300)
    assert process.returncode == -signal.SIGKILL
    checkpoints = killed_dir / "checkpoints"
    assert [p.name for p in checkpoints.iterdir() if not p.name.startswith(".tmp-")] == ["step-00000003"]
    assert any(p.name.startswith(".tmp-step-00000006") for p in checkpoints.iterdir())  # the torn write

    resumed, resumed_model = train_here(killed_dir)
    assert resumed.meta["resumed_at_steps"] == [3] and resumed.steps_trained_this_call == reference.steps - 3
    assert not any(p.name.startswith(".tmp-") for p in checkpoints.iterdir())
    assert_matches_reference(resumed, resumed_model, reference, reference_model)
