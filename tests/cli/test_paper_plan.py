"""configs/sweep-paper.yaml plans and configs/paper.yaml preflights once every split they read
is present: the shared pack (linked in place) topped up with small files in the real formats
for the tasks it lacks (paper_data.py), and an XLM-R Large-shaped checkpoint folder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from cli.paper_data import build_paper_data  # tests/ is on pythonpath; tests/cli is not

from xstilts.cli import main

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
# xlm-roberta-large's config.json (the shape the planner and preflight see). The hub is offline
# in tests and the weights are 2 GB; planning and --dry-run only fingerprint the folder and
# parse its config (preflight checks retrieval_layer 14 against its 24 layers), so a folder with
# the config alone stands in for model.source: no weights, no tokenizer are read.
XLMR_LARGE = {
    "architectures": ["XLMRobertaForMaskedLM"], "model_type": "xlm-roberta", "hidden_size": 1024,
    "num_hidden_layers": 24, "num_attention_heads": 16, "intermediate_size": 4096, "vocab_size": 250002,
    "max_position_embeddings": 514, "type_vocab_size": 1, "pad_token_id": 1, "bos_token_id": 0,
    "eos_token_id": 2, "layer_norm_eps": 1e-5, "hidden_act": "gelu",
}


@pytest.fixture(scope="module")
def paper_inputs(tmp_path_factory, data_dir) -> list[str]:
    """Overrides pointing paper.yaml at the topped-up data, the stand-in model and tmp outputs."""
    root = tmp_path_factory.mktemp("paper")
    model = root / "xlm-roberta-large-config"
    model.mkdir()
    (model / "config.json").write_text(json.dumps(XLMR_LARGE), encoding="utf-8")
    data = build_paper_data(data_dir, root / "data")
    return [f"data_dir={data}", f"model.source={model}", f"work_dir={root / 'work'}", f"store={root / 'results.sqlite'}"]


def _sweep_on(inputs: list[str], folder: Path) -> Path:
    """sweep-paper.yaml's grid as is, its base config given the test's inputs as overrides (the
    plan command takes no overrides of its own)."""
    sweep = yaml.safe_load((CONFIGS / "sweep-paper.yaml").read_text(encoding="utf-8"))
    sweep["base"] = str(CONFIGS / sweep["base"])
    sweep["overrides"] = {**sweep.get("overrides", {}), **dict(item.split("=", 1) for item in inputs)}
    path = folder / "sweep-paper.yaml"
    path.write_text(yaml.safe_dump(sweep), encoding="utf-8")
    return path


@pytest.mark.slow  # 40-60 s on a busy 2-core machine
def test_paper_sweep_plans_246_trials_with_positive_hours(paper_inputs, tmp_path, capsys):
    # One plan only: 246 trials take about a minute to plan on a busy 2-core machine (task-spec
    # lookups re-stat every spec file); a GPU rate is --tokens-per-s, which only rescales hours.
    assert main(["sweep", "plan", str(_sweep_on(paper_inputs, tmp_path)), "--no-calibrate"]) == 0
    out = capsys.readouterr().out
    summary = re.search(r"^(\d+) trials, \d+ distinct phases.*\nestimated device-hours: ([\d.]+) \(training steps only; (.*)\)$",
                        out, flags=re.MULTILINE)
    assert summary, out[-2000:]
    assert int(summary[1]) == 246 and float(summary[2]) > 0
    assert summary[3] == "not calibrated: assumed 2,000 padded tokens/s"  # the throughput the hours assume
    assert "warning" not in out  # every training phase has examples


def test_paper_dry_run_passes_preflight(paper_inputs, capsys):
    assert main(["run", str(CONFIGS / "paper.yaml"), *paper_inputs, "--dry-run"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    assert rows[0].split()[:2] == ["intermediate", "mnli"]
    assert {row.split()[1] for row in rows} >= {"pawsx", "xnli", "udpos", "panx", "xquad", "mlqa", "tydiqa", "bucc2018", "tatoeba"}
    assert not re.search(r"\s0 train examples", "\n".join(rows))
