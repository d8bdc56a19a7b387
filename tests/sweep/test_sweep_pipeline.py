"""The sweep over the real pipeline: a tiny encoder on small slices of the shared data pack."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest
import yaml

from xstilts.analysis.frame import validate_results_frame
from xstilts.cli import main
from xstilts.config import load_config
from tiny_models import tiny_encoder_dir
from xstilts.store.sqlite import ResultStore
from xstilts.pipeline.graph import plan_trial
from xstilts.sweep.adapter import Pipeline
from xstilts.sweep.spec import load_sweep
from xstilts.sweep.trials import expand_sweep, trial_id_of

TRAIN = {"batch_size": 8, "micro_batch_size": 4, "learning_rate": 1.0e-3, "epochs": 1, "warmup_ratio": 0.1}
GRID = {"intermediate.task": ["none", "sst2"], "intermediate.train.batch_size": [4, 8], "seed": [0]}
EVAL_PER_LANGUAGE = 8


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory):
    return tiny_encoder_dir(tmp_path_factory.mktemp("encoders"))


@pytest.fixture
def sweep_file(tmp_path, data_dir, tiny_encoder, monkeypatch):
    monkeypatch.setenv("XSTILTS_CACHE_DIR", str(tmp_path / "cache"))  # workers inherit it
    config = {
        "data_dir": str(data_dir), "work_dir": "work", "store": "results.sqlite", "threads": 1,
        "eval_batch_size": 16, "model": {"source": str(tiny_encoder), "freeze_word_embeddings": True},
        "intermediate": {"task": "none", "train_split": "train[0:16]", "max_length": 32, "train": dict(TRAIN)},
        "targets": {"pawsx": {"train_split": "pawsx:dev[0:16]", "eval_split": "dev[100:108]",
                              "languages": ["en", "de"], "max_length": 32, "train": dict(TRAIN)}},
    }
    # Separate dicts: shared ones would be dumped as a YAML anchor and alias (one object on load).
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(config))
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({"base": "run.yaml", "grid": GRID}))
    return path


def test_trials_match_what_xstilts_run_would_name_them(sweep_file):
    trials = expand_sweep(load_sweep(sweep_file), Pipeline())
    assert len(trials) == 3  # one baseline, two batch sizes of sst2
    sst2 = next(t for t in trials if t.params["batch_size"] == 8)
    direct = load_config(sweep_file.parent / "run.yaml", ["intermediate.task=sst2", "intermediate.train.batch_size=8"])
    graph = plan_trial(direct)
    assert sst2.trial_id == trial_id_of(direct, [node.key for node in graph])  # the same trial in the same store row


def test_trial_ids_survive_a_moved_folder_and_change_with_the_phase_code(sweep_file, tmp_path, monkeypatch):
    import shutil

    import xstilts.pipeline.keys as keys

    ids = [t.trial_id for t in expand_sweep(load_sweep(sweep_file), Pipeline())]
    moved = tmp_path / "moved"  # the study's folder copied elsewhere: work dir and store paths differ
    moved.mkdir()
    for name in ("run.yaml", "sweep.yaml"):
        shutil.copy(sweep_file.parent / name, moved / name)
    assert [t.trial_id for t in expand_sweep(load_sweep(moved / "sweep.yaml"), Pipeline())] == ids
    # New phase code changes every phase's key: a finished trial of the old code is not this one.
    monkeypatch.setattr(keys, "PHASE_CODE_VERSION", keys.PHASE_CODE_VERSION + 1)
    changed = [t.trial_id for t in expand_sweep(load_sweep(sweep_file), Pipeline())]
    assert len(changed) == len(ids) == 3 and not set(changed) & set(ids)


def _ids_with(sweep_file, **settings) -> list[str]:
    config = {**yaml.safe_load((sweep_file.parent / "run.yaml").read_text()), **settings}
    (sweep_file.parent / "variant.yaml").write_text(yaml.safe_dump(config))
    (sweep_file.parent / "variant-sweep.yaml").write_text(yaml.safe_dump({"base": "variant.yaml", "grid": GRID}))
    return [t.trial_id for t in expand_sweep(load_sweep(sweep_file.parent / "variant-sweep.yaml"), Pipeline())]


def test_a_setting_written_at_its_default_keeps_the_trial_ids(sweep_file):
    """What a newer xstilts adds with a default must not rename the finished trials of an older one."""
    ids = [t.trial_id for t in expand_sweep(load_sweep(sweep_file), Pipeline())]
    assert _ids_with(sweep_file, cpu_eval_compile=False, name="run", overlap="error") == ids
    assert not set(_ids_with(sweep_file, name="another label")) & set(ids)  # a setting that is set still counts


def test_compiled_evaluation_is_in_the_zero_shot_keys_only(sweep_file):
    plain = load_config(sweep_file.parent / "run.yaml", ["cpu_bf16=true"])
    compiled = load_config(sweep_file.parent / "run.yaml", ["cpu_bf16=true", "cpu_eval_compile=true"])
    keys = {node.key: node.phase for node in plan_trial(plain)}
    changed = [node.phase for node in plan_trial(compiled) if node.key not in keys]
    assert changed == ["zero_shot"]
    # Without cpu_bf16 the setting does nothing, and no key changes.
    unused = load_config(sweep_file.parent / "run.yaml", ["cpu_eval_compile=true"])
    assert [n.key for n in plan_trial(unused)] == [n.key for n in plan_trial(load_config(sweep_file.parent / "run.yaml"))]


def test_a_phase_revision_changes_that_phases_keys_only(sweep_file, monkeypatch):
    import xstilts.pipeline.keys as keys

    config = load_config(sweep_file.parent / "run.yaml")
    before = {node.key for node in plan_trial(config)}
    monkeypatch.setitem(keys.PHASE_REVISIONS, "zero_shot", keys.PHASE_REVISIONS["zero_shot"] + 1)
    assert [node.phase for node in plan_trial(config) if node.key not in before] == ["zero_shot"]


def test_plan_calibrates_on_the_real_model(sweep_file, capsys):
    assert main(["sweep", "plan", str(sweep_file), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    timed = [p for t in plan["trials"] for p in t["phases"] if p["state"] == "compute" and p["steps"]]
    assert {(p["phase"], p["task"]) for p in timed} == {("intermediate", "sst2"), ("target", "pawsx")}
    assert all(0 < p["seconds_per_step"] < 30 for p in timed)
    store = sweep_file.parent / "results.sqlite"  # the base config's store
    cached = sqlite3.connect(store).execute("SELECT COUNT(*) FROM calibrations").fetchone()[0]
    assert cached == 3  # pawsx at batch 8, sst2 at batches 4 and 8


@pytest.mark.slow
def test_sweep_runs_the_pipeline_and_a_rerun_trains_nothing(sweep_file, capsys):
    # Calibration has its own test; here the stated default rate gives the estimates.
    assert main(["sweep", "run", str(sweep_file), "--workers", "2", "--no-calibrate"]) == 0
    assert "3 done" in capsys.readouterr().out
    store_path = sweep_file.parent / "results.sqlite"
    with ResultStore(store_path) as store:
        frame = validate_results_frame(store.results_frame())
        phases = store.phases_frame()
    assert set(frame.status) == {"done"} and len(frame.trial_id.unique()) == 3
    assert frame.score.between(0, 100).all()
    assert (frame.n_examples == EVAL_PER_LANGUAGE).all()
    # Every score carries its sampling error; for accuracy the bootstrap's is the binomial one.
    assert frame.sampling_se.notna().all()
    binomial = 100 * np.sqrt(frame.score / 100 * (1 - frame.score / 100) / EVAL_PER_LANGUAGE)
    assert np.allclose(frame.sampling_se, binomial, rtol=0.1, atol=0.5)
    baseline = frame[frame.intermediate_task == "none"]
    assert baseline.device_hours.isna().all() and baseline.batch_size.isna().all()
    intermediate = frame[frame.intermediate_task == "sst2"]
    assert (intermediate.device_hours > 0).all() and (intermediate.examples_per_s > 0).all()
    trained = phases[phases.phase.isin(["intermediate", "target"])]
    assert trained.computed.all() and trained.estimate_s.notna().all() and (trained.seconds > 0).all()
    # The keys the runs wrote are the keys the planner listed, trial by trial.
    planned = {t.trial_id: set(t.phase_keys) for t in expand_sweep(load_sweep(sweep_file), Pipeline())}
    with sqlite3.connect(store_path) as db:
        written = {}
        for trial_id, key in db.execute("SELECT trial_id, phase_key FROM trial_phases"):
            written.setdefault(trial_id, set()).add(key)
    assert written == planned and all(planned.values())

    # A store written before scores carried their sampling error: `xstilts upgrade` recomputes the
    # same numbers from the phase files left in the work dir.
    with sqlite3.connect(store_path) as db:
        db.execute("UPDATE scores SET sampling_se = NULL")
    assert main(["upgrade", str(store_path), "--work-dir", str(sweep_file.parent / "work")]) == 0
    assert f"filled in for {len(frame)} score(s); 0 left" in capsys.readouterr().out
    with ResultStore(store_path, readonly=True) as store:
        upgraded = validate_results_frame(store.results_frame())
    keys = ["trial_id", "target_task", "language", "selection"]
    assert upgraded.set_index(keys)["sampling_se"].sort_index().equals(frame.set_index(keys)["sampling_se"].sort_index())

    assert main(["sweep", "run", str(sweep_file), "--no-calibrate"]) == 0
    assert "3 skipped" in capsys.readouterr().out


@pytest.mark.slow
def test_a_mixture_sweep_plans_dry_runs_and_runs(sweep_file, capsys):
    grid = {"intermediate.task": ["sst2+commonsenseqa"], "seed": [0]}
    path = sweep_file.parent / "mixture.yaml"
    path.write_text(yaml.safe_dump({"base": "run.yaml", "grid": grid}))
    assert main(["sweep", "plan", str(path), "--no-calibrate"]) == 0
    assert main(["run", str(sweep_file.parent / "run.yaml"), "intermediate.task=sst2+commonsenseqa", "--dry-run"]) == 0
    assert "sst2+commonsenseqa" in capsys.readouterr().out
    assert main(["sweep", "run", str(path), "--no-calibrate"]) == 0
    assert "1 done" in capsys.readouterr().out
    (trial,) = expand_sweep(load_sweep(path), Pipeline())
    assert [p.phase for p in trial.phases] == ["intermediate", "target", "zero_shot"]
    assert all(p.done for p in trial.phases)
