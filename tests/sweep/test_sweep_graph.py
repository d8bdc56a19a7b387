"""Every trial of every shipped sweep is planned from the trial graph a worker runs.

The driver plans a trial from the sweep's overrides; the worker rebuilds the config from the
request it is sent and runs that config's graph. The keys must agree for every trial, or the
planner's reuse counts, the scheduler's conflicts and the disk clean-up all go wrong.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from xstilts.errors import ConfigError
from xstilts.pipeline.graph import plan_trial
from xstilts.sweep.local import LocalRunner, TrialFiles
from xstilts.sweep.adapter import Pipeline
from xstilts.sweep.spec import load_sweep
from xstilts.sweep.trials import expand_sweep

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
SWEEPS = sorted(p for p in CONFIGS.glob("*.yaml") if "base" in (yaml.safe_load(p.read_text()) or {}))
OFFLINE_UNPLANNABLE = {"sweep-paper.yaml"}  # xlm-roberta-large comes from the hub


@pytest.mark.parametrize("path", [p for p in SWEEPS if p.name not in OFFLINE_UNPLANNABLE], ids=lambda p: p.name)
def test_planned_keys_equal_the_keys_a_worker_runs(path, tmp_path):
    sweep = load_sweep(path)
    trials = expand_sweep(sweep, Pipeline())
    runner = LocalRunner(Pipeline().module, sweep.base, tmp_path)
    phases = set()
    for trial in trials:
        request = runner._request(trial, TrialFiles(tmp_path, trial.trial_id))
        config = Pipeline().load_config(Path(request.base), request.overrides)
        assert tuple(node.key for node in plan_trial(config)) == trial.phase_keys, trial.trial_id
        phases |= {p.phase for p in trial.phases}
    assert len(trials) >= 3 and {"target", "zero_shot", "retrieval"} <= phases


def test_the_paper_sweep_needs_its_data_and_hub_model(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigError) as err:
        expand_sweep(load_sweep(CONFIGS / "sweep-paper.yaml"), Pipeline())
    assert err.value.key == "data_dir" and "\n" not in str(err.value)  # the full XTREME data is not here either
