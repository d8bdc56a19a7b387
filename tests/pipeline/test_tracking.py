"""`report_to: [tensorboard, mlflow, wandb]`: curves, scores and parameters read back offline, each
with its tracker's own reader (W&B: the offline run file, decoded with wandb's protobuf records)."""

from __future__ import annotations

import json
import struct
import sys

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from pipeline_helpers import TRAIN, tiny_config
from xstilts.config import load_config
from xstilts.errors import ConfigError
from xstilts.pipeline.execute import run_trial
from xstilts.pipeline.tracking import open_trackers

TARGETS = {"pawsx": {"train_split": "pawsx:dev[0:32]", "eval_split": "dev[100:116]", "languages": ["en", "de"],
                     "max_length": 48, "train": TRAIN}}
PHASES = ("intermediate/sst2", "target/pawsx")


@pytest.fixture
def offline_trackers(tmp_path, monkeypatch):
    """Trackers that write only under tmp_path and call nothing outside the machine."""
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "WANDB_DIR", "WANDB_PROJECT", "WANDB_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("WANDB_MODE", "offline")
    for name in ("WANDB_CONFIG_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR"):  # nothing written under $HOME
        monkeypatch.setenv(name, str(tmp_path / name.lower()))


def test_every_tracker_holds_every_step_the_scores_and_the_params(tmp_path, data_dir, tiny_encoder, offline_trackers):
    intermediate = {"task": "sst2", "train_split": "train[0:32]", "max_length": 32, "train": TRAIN}
    path = tiny_config(tmp_path, data_dir, tiny_encoder, TARGETS, intermediate)
    result = run_trial(load_config(path, ["report_to=[tensorboard,mlflow,wandb]"]), trial_id="t1")
    assert result.status == "done", result.error
    steps = {phase: list(range(1, next(p for p in result.phases if f"{p.phase}/{p.task}" == phase).meta["steps"] + 1))
             for phase in PHASES}
    stored = [r.value for r in result.scores if r.target_task == "pawsx" and r.selection == "english_dev"]
    score = pytest.approx(sum(stored) / len(stored), abs=1e-4)
    work = tmp_path / "work"
    for read in (_tensorboard, _mlflow, _wandb):
        curves, scores, params = read(work)
        for phase in PHASES:
            assert [step for step, _ in curves[f"{phase}/loss"]] == steps[phase], read.__name__  # every step, live
            assert f"{phase}/learning_rate" in curves and f"{phase}/examples_per_s" in curves, read.__name__
        assert scores["score/pawsx/english_dev"] == score, read.__name__
        assert params["intermediate_task"] == "sst2" and str(params["seed"]) == "0", read.__name__


def _tensorboard(work):
    events = EventAccumulator(str(work / "tensorboard" / "t1"))
    events.Reload()
    curves = {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}
    scores = {tag: values[0][1] for tag, values in curves.items() if tag.startswith("score/")}
    (text,) = events.Tensors("params/text_summary")
    params = dict(line.split(": ", 1) for line in text.tensor_proto.string_val[0].decode().splitlines())
    return curves, scores, params


def _mlflow(work):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=(work / "mlruns").as_uri())
    (run,) = client.search_runs([client.get_experiment_by_name("xstilts").experiment_id])
    assert run.info.run_name == "t1" and run.info.status == "FINISHED"
    curves = {key: [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, key)] for key in run.data.metrics}
    return curves, run.data.metrics, run.data.params


def _wandb(work):
    (run_file,) = (work / "wandb").glob("wandb/offline-run-*/run-*.wandb")
    curves, scores, params = {}, {}, {}
    for record in _wandb_records(run_file.read_bytes()):
        kind = record.WhichOneof("record_type")
        if kind == "history":
            row = {item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in record.history.item}
            for key, value in row.items():
                phase = key.rsplit("/", 1)[0]
                if f"{phase}/step" in row and not key.endswith("/step"):
                    curves.setdefault(key, []).append((row[f"{phase}/step"], value))
        elif kind == "summary":
            scores.update({item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in record.summary.update})
        elif kind == "config":
            params.update({item.key: json.loads(item.value_json) for item in record.config.update})
    return curves, scores, params


def _wandb_records(data: bytes):
    """The protobuf records of a .wandb file: a 7-byte header (':W&B', magic, version), then the
    LevelDB log format: 32 KiB blocks of chunks, each with a 7-byte header (crc32, length, type
    1 full / 2 first / 3 middle / 4 last); a block's tail shorter than a header is padding."""
    from wandb.proto.wandb_internal_pb2 import Record

    assert data[:4] == b":W&B"
    pos, pending = 7, b""
    while pos + 7 <= len(data):
        if 32768 - pos % 32768 < 7:
            pos += 32768 - pos % 32768
            continue
        _, length, kind = struct.unpack("<IHB", data[pos:pos + 7])
        pending, pos = pending + data[pos + 7:pos + 7 + length], pos + 7 + length
        if kind in (1, 4):
            record = Record()
            record.ParseFromString(pending)
            pending = b""
            yield record


def test_an_unknown_tracker_is_a_config_error(tmp_path, data_dir, tiny_encoder):
    path = tiny_config(tmp_path, data_dir, tiny_encoder, TARGETS)
    with pytest.raises(ConfigError) as err:
        load_config(path, ["report_to=[nosuch]"])
    assert err.value.key.startswith("report_to")


@pytest.mark.parametrize("name, module", [("tensorboard", "torch.utils.tensorboard"), ("mlflow", "mlflow.tracking"),
                                          ("wandb", "wandb")])
def test_a_tracker_whose_package_is_missing_says_what_to_install(tmp_path, monkeypatch, name, module):
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    with pytest.raises(ConfigError) as err:
        open_trackers([name], str(tmp_path), "t1")
    assert err.value.key == "report_to" and "pip install 'xstilts[tracking]'" in str(err.value)
