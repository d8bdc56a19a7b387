"""Two CPU processes (gloo, launched by torchrun) follow the one-process loss curve.

Tolerance: relative 1e-5 on every logged loss and score, absolute 1e-5 on the final weights.
The two runs add the same per-example gradients in a different order (an all-reduce of two
half-batch means vs accumulation within one process), so they agree to float32 rounding, not
bit for bit. The model has no dropout: per-process dropout streams could not match one process.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tiny_training import TinyClassifier, collate, eval_fn_for, make_dataset, seeded
from xstilts.train.settings import TrainSettings
from xstilts.train.checkpoint import load_weights
from xstilts.train.loop import train
from xstilts.train.outcome import TrainOutcome

HERE = Path(__file__).parent
SETTINGS = TrainSettings(
    learning_rate=1e-2,
    batch_size=8,
    micro_batch_size=4,
    epochs=2,
    eval_every=4,
    checkpoint_every=4,
    log_every=1,
    bf16=False,  # GPU runs compare exactly too (CPU runs use bf16_on_cpu)
)


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.skipif(torch.cuda.is_available(), reason="two CPU processes (gloo); on a GPU machine the in-process reference trains on the GPU")
def test_two_processes_match_one_process_with_the_same_effective_batch(tmp_path):
    single_model = seeded(TinyClassifier, dropout=0.0)
    single = train(
        single_model,
        make_dataset(48),
        collate,
        SETTINGS,
        checkpoint_dir=tmp_path / "single",
        eval_fn=eval_fn_for(make_dataset(24, seed=9), make_dataset(24, seed=11)),
        select_on=("score", "target_dev"),
    )
    out = tmp_path / "outcome.json"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        str(HERE / "run_tiny_training.py"),
        "--model",
        "tiny-no-dropout",
        "--checkpoint-dir",
        str(tmp_path / "pair"),
        "--settings",
        SETTINGS.model_dump_json(),
        "--out",
        str(out),
    ]
    subprocess.run(command, check=True, timeout=280, env={**os.environ, "OMP_NUM_THREADS": "1"})
    pair = TrainOutcome.from_dict(json.loads(out.read_text()))

    assert pair.meta["world_size"] == 2 and single.meta["world_size"] == 1
    assert (pair.steps, pair.examples_seen) == (single.steps, single.examples_seen) == (12, 96)
    assert [p.step for p in pair.curve] == [p.step for p in single.curve]
    assert [p.train_loss for p in pair.curve] == pytest.approx([p.train_loss for p in single.curve], rel=1e-5)
    for pair_point, single_point in zip(pair.curve, single.curve):
        assert (pair_point.scores is None) == (single_point.scores is None)
        if pair_point.scores:
            assert pair_point.scores == pytest.approx(single_point.scores, rel=1e-5)
    pair_model = TinyClassifier(dropout=0.0)
    load_weights(pair_model, pair.final_checkpoint)
    for name, tensor in single_model.state_dict().items():
        torch.testing.assert_close(pair_model.state_dict()[name], tensor, rtol=0, atol=1e-5)
