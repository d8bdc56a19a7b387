"""`report_to: [tensorboard]`: curves and scores a researcher reads back with TensorBoard's reader."""

from __future__ import annotations

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from pipeline_helpers import TRAIN, tiny_config
from xstilts.config import load_config
from xstilts.errors import ConfigError
from xstilts.pipeline.execute import run_trial

TARGETS = {"pawsx": {"train_split": "pawsx:dev[0:32]", "eval_split": "dev[100:116]", "languages": ["en", "de"],
                     "max_length": 48, "train": TRAIN}}


def test_tensorboard_holds_every_step_and_the_stored_scores(tmp_path, data_dir, tiny_encoder):
    intermediate = {"task": "sst2", "train_split": "train[0:32]", "max_length": 32, "train": TRAIN}
    path = tiny_config(tmp_path, data_dir, tiny_encoder, TARGETS, intermediate)
    result = run_trial(load_config(path, ["report_to=[tensorboard]"]), trial_id="t1")
    assert result.status == "done", result.error
    events = EventAccumulator(str(tmp_path / "work" / "tensorboard" / "t1"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    for phase in ("intermediate/sst2", "target/pawsx"):
        steps = [e.step for e in events.Scalars(f"{phase}/loss")]
        record = next(p for p in result.phases if f"{p.phase}/{p.task}" == phase)
        assert steps == list(range(1, record.meta["steps"] + 1))  # every step, live
        assert f"{phase}/learning_rate" in tags and f"{phase}/examples_per_s" in tags
    stored = [r.value for r in result.scores if r.target_task == "pawsx" and r.selection == "english_dev"]
    (logged,) = events.Scalars("score/pawsx/english_dev")
    assert logged.value == pytest.approx(sum(stored) / len(stored), abs=1e-4)


def test_an_unknown_tracker_is_a_config_error(tmp_path, data_dir, tiny_encoder):
    path = tiny_config(tmp_path, data_dir, tiny_encoder, TARGETS)
    with pytest.raises(ConfigError) as err:
        load_config(path, ["report_to=[nosuch]"])
    assert err.value.key.startswith("report_to")
