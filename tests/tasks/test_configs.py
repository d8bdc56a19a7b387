"""Every shipped config loads and validates; every sweep expands; the planner prints both sweeps."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from xstilts.cli import main
from xstilts.config import load_config
from xstilts.sweep.pipeline import Pipeline
from xstilts.sweep.spec import load_sweep
from xstilts.sweep.trials import expand_sweep

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
ALL = sorted(CONFIGS.glob("*.yaml"))
SWEEPS = [p for p in ALL if "base" in (yaml.safe_load(p.read_text()) or {})]
RUNS = [p for p in ALL if p not in SWEEPS]


def test_shipped_configs_are_found():
    names = {p.name for p in ALL}
    assert {"paper.yaml", "mini.yaml", "sweep-mini.yaml", "sweep-paper.yaml", "mini-study.yaml",
            "mini-study-smoke.yaml", "mini-study-full.yaml"} <= names
    assert len(RUNS) >= 4 and len(SWEEPS) >= 5


@pytest.mark.parametrize("path", RUNS, ids=lambda p: p.name)
def test_run_config_validates(path):
    config = load_config(path)
    assert config.targets


def test_paper_config_is_the_recipe():
    paper = load_config(CONFIGS / "paper.yaml")
    assert paper.model.source == "xlm-roberta-large"
    assert len(paper.targets) == 9
    trained = {k: t for k, t in paper.targets.items() if k not in ("bucc2018", "tatoeba", "mlqa")}
    assert {t.train.learning_rate for t in trained.values()} == {1e-5}
    assert paper.targets["xquad"].train.batch_size == 16 and paper.targets["pawsx"].train.batch_size == 32
    assert paper.targets["xquad"].max_length == 384 and paper.targets["tatoeba"].max_length == 512
    assert {k: paper.targets[k].train.epochs for k in ("xnli", "pawsx", "udpos", "panx", "xquad")} == {"xnli": 2, "pawsx": 5, "udpos": 10, "panx": 10, "xquad": 2}
    assert paper.targets["mlqa"].model_from == "xquad"  # one SQuAD model for XQuAD and MLQA


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.name)
def test_sweep_expands_into_trials(path):
    trials = expand_sweep(load_sweep(path), Pipeline())
    assert len(trials) >= 2
    assert any(t.params["intermediate_task"] == "none" for t in trials)


def test_paper_sweep_crosses_nine_tasks_with_grid_and_three_seeds():
    trials = expand_sweep(load_sweep(CONFIGS / "sweep-paper.yaml"), Pipeline())
    tasks = {t.params["intermediate_task"] for t in trials}
    assert len(tasks - {"none"}) == 9
    assert len(trials) == 9 * 3 * 3 * 3 + 3  # one baseline per seed


@pytest.mark.parametrize("name", ["sweep-mini.yaml", "sweep-paper.yaml"])
def test_sweep_plan_prints_a_table(name, capsys):
    assert main(["sweep", "plan", str(CONFIGS / name), "--no-calibrate"]) == 0
    out = capsys.readouterr().out
    assert "device-hours" in out and "trials" in out


def test_mini_dry_run(capsys):
    assert main(["run", str(CONFIGS / "mini.yaml"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "intermediate" in out and "pawsx" in out


OFFLINE_STUDIES = [CONFIGS / name for name in ("mini-study.yaml", "mini-study-smoke.yaml", "mini-study-full.yaml")]


@pytest.mark.parametrize("path", OFFLINE_STUDIES, ids=lambda p: p.name)
def test_every_trial_of_the_cpu_studies_passes_preflight(path, tmp_path, data_dir):
    """Every split each trial reads exists and is non-empty (the sweep runner checks this too,
    before any worker starts); outputs are pointed at tmp_path so nothing lands in the repo."""
    from xstilts.pipeline.preflight import preflight

    trials = expand_sweep(load_sweep(path), Pipeline())
    checked = set()
    for trial in trials:
        config = trial.config.model_copy(update={"work_dir": str(tmp_path / "work"), "store": str(tmp_path / "r.sqlite"),
                                                 "data_dir": str(data_dir)})
        preflight(config)
        checked.add(config.intermediate.task)
    assert len(trials) >= 3 and "none" in checked and len(checked) >= 2
