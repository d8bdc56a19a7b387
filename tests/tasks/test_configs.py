"""Every shipped config loads and validates; every sweep expands; the planner prints both sweeps."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
import yaml

from xstilts.cli import main
from xstilts.config import load_config
from xstilts.sweep.adapter import Pipeline
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


@pytest.mark.parametrize("path", [p for p in SWEEPS if p.name != "sweep-paper.yaml"], ids=lambda p: p.name)
def test_sweep_expands_into_trials(path):
    trials = expand_sweep(load_sweep(path), Pipeline())
    assert len(trials) >= 2
    assert any(t.params["intermediate_task"] == "none" for t in trials)


def test_paper_sweep_crosses_nine_tasks_with_grid_and_three_seeds():
    # Its trials cannot be planned offline (xlm-roberta-large and full XTREME data are not here),
    # so the grid is counted as expand_sweep collapses it: one baseline per seed.
    points = load_sweep(CONFIGS / "sweep-paper.yaml").spec.points()
    grid = {"intermediate.train.batch_size", "intermediate.train.learning_rate"}
    trials = {tuple(sorted((k, v) for k, v in p.items() if p["intermediate.task"] != "none" or k not in grid)) for p in points}
    tasks = {p["intermediate.task"] for p in points}
    assert len(tasks - {"none"}) == 9
    assert len(trials) == 9 * 3 * 3 * 3 + 3


def test_sweep_plan_counts_trials_and_hours(capsys):
    assert main(["sweep", "plan", str(CONFIGS / "sweep-mini.yaml"), "--no-calibrate"]) == 0
    out = capsys.readouterr().out
    # 2 batch sizes x 2 LRs of SST-2 and the baseline; 5 phases each (base targets: pawsx, panx,
    # tatoeba), plus the intermediate phase for the 4 SST-2 trials; shared target phases: none.
    assert "5 trials, 29 distinct phases: 29 to compute" in out
    hours = float(re.search(r"estimated device-hours: ([0-9.]+)", out).group(1))
    assert hours > 0


def test_paper_sweep_plan_without_its_data_is_one_line(capsys):
    assert main(["sweep", "plan", str(CONFIGS / "sweep-paper.yaml"), "--no-calibrate"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "data_dir" in err[0]


def test_mini_dry_run_lists_the_graph(capsys):
    from xstilts.config import load_config
    from xstilts.pipeline.graph import TrialGraph

    assert main(["run", str(CONFIGS / "mini.yaml"), "--dry-run"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.strip().splitlines()]
    nodes = TrialGraph.build(load_config(CONFIGS / "mini.yaml")).planned()
    assert [(row[0], row[1], row[2]) for row in rows] == [(n.phase, n.task, n.key) for n in nodes]
    assert [n.phase for n in nodes] == ["intermediate", "target", "target", "zero_shot", "zero_shot", "retrieval"]


@functools.lru_cache(maxsize=None)
def _expanded(path: Path) -> tuple:
    # Expanding 84 trials resolves 84 configs: done once for the tests below that share it.
    return tuple(expand_sweep(load_sweep(path), Pipeline()))


OFFLINE_STUDIES = [CONFIGS / name for name in ("mini-study.yaml", "mini-study-smoke.yaml", "mini-study-full.yaml")]


@pytest.mark.parametrize("path", OFFLINE_STUDIES, ids=lambda p: p.name)
def test_every_trial_of_the_cpu_studies_passes_preflight(path, tmp_path, data_dir):
    """Every split each trial reads exists and is non-empty (the sweep runner checks this too,
    before any worker starts); outputs are pointed at tmp_path so nothing lands in the repo."""
    from xstilts.pipeline.preflight import preflight

    trials = _expanded(path)
    checked = set()
    for trial in trials:
        config = trial.config.model_copy(update={"work_dir": str(tmp_path / "work"), "store": str(tmp_path / "r.sqlite"),
                                                 "data_dir": str(data_dir)})
        preflight(config)
        checked.add(config.intermediate.task)
    assert len(trials) >= 3 and "none" in checked and len(checked) >= 2


def _line_ranges(config, data_dir):
    """(what the lines index, start, stop, config key) for everything the trial's graph trains or
    selects on, and separately for what it evaluates on. Lines of one translation group index
    the same sentences in every language; otherwise lines index one English file. Oracle
    selection reads the evaluated split by design (Keung et al. 2020) and is left out."""
    from xstilts.data.splits import translation_group
    from xstilts.pipeline.graph import TrialGraph
    from xstilts.tasks.registry import get_task

    def space(ref):
        spec = get_task(ref.task)
        return translation_group(spec, ref.split) or tuple(str(p) for p, _ in spec.files(data_dir, ref.split, "en"))

    nodes = TrialGraph.build(config.model_copy(update={"data_dir": str(data_dir)})).nodes
    trained = {(space(r.ref), r.ref.start, r.ref.stop, r.key) for n in nodes for r in (*n.trains_on, *n.selects_on)}
    evaluated = {(space(r.ref), r.ref.start, r.ref.stop, r.key) for n in nodes for r in n.evaluates}
    return sorted(trained, key=str), sorted(evaluated, key=str)


def _overlap(a, b) -> bool:
    (space_a, start_a, stop_a, _), (space_b, start_b, stop_b, _) = a, b
    end_a, end_b = stop_a if stop_a is not None else float("inf"), stop_b if stop_b is not None else float("inf")
    return space_a == space_b and start_a < end_b and start_b < end_a


def test_full_study_trains_and_evaluates_on_disjoint_lines(data_dir):
    """SQuAD v1.1 dev feeds both the SQuAD intermediate phase and the XQuAD target's training:
    their line ranges (articles) must not meet, and nothing trained is evaluated (the leakage
    guard would otherwise drop lines and trials would evaluate different examples)."""
    trials = _expanded(CONFIGS / "mini-study-full.yaml")
    shared_files = 0
    for trial in trials:
        trained, evaluated = _line_ranges(trial.config, data_dir)
        for i, a in enumerate(trained):
            for b in trained[i + 1:]:
                shared_files += a[0] == b[0]
                assert not _overlap(a, b), f"{trial.trial_id}: {a[3]} and {b[3]} share lines"
            for e in evaluated:
                assert not _overlap(a, e), f"{trial.trial_id}: {a[3]} trains on lines {e[3]} evaluates"
    # The check has something to check: every SQuAD trial reads the dev file three times.
    squad_trials = sum(t.config.intermediate.task == "squad" for t in trials)
    assert squad_trials == 30 and shared_files >= 3 * squad_trials


def test_squad_intermediate_and_qa_target_train_on_disjoint_articles(data_dir):
    """Disjoint by content, not only by line: no paragraph of the SQuAD intermediate phase is a
    paragraph the XQuAD target trains on, and XQuAD's own paragraphs were dropped from both."""
    from xstilts.pipeline.graph import TrialGraph
    from xstilts.pipeline.reads import load_examples

    trial = next(t for t in _expanded(CONFIGS / "mini-study-full.yaml") if t.config.intermediate.task == "squad")
    graph = TrialGraph.build(trial.config.model_copy(update={"data_dir": str(data_dir)}))
    contexts = {}
    for phase in ("intermediate", "target"):
        node = graph.node(phase, "squad" if phase == "intermediate" else "xquad")
        contexts[phase] = {e.context for e in load_examples(node.trains_on[0], graph.data_dir)}
        assert node.trains_on[0].dropped > 0  # XQuAD paragraphs were there and were left out
    assert contexts["intermediate"] and contexts["target"]
    assert not contexts["intermediate"] & contexts["target"]
