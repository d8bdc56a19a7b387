"""Help generated from the config models, --version, and the one-line errors of issue 20 item 6."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from xstilts import __version__
from xstilts.cli import main
from xstilts.cli.common import check_score_folders
from xstilts.config import RunConfig
from xstilts.errors import XstiltsError
from xstilts.sweep.spec import Resources, SweepSpec

REPO = Path(__file__).resolve().parents[2]
LAYOUT = REPO / "tests" / "fixtures" / "xtreme_layout"


def test_run_help_config_needs_no_config_and_lists_nested_keys(capsys):
    assert main(["run", "--help-config"]) == 0
    text = capsys.readouterr().out
    keys = {line.split(" = ")[0] for line in text.splitlines() if " = " in line and not line.startswith(" ")}
    for name in RunConfig.model_fields:
        assert name in keys
    assert {"targets.<task>.train.learning_rate", "targets.<task>.max_eval_examples", "targets.<task>.model_from",
            "intermediate.mlm", "intermediate.mlm.text_task", "intermediate.mlm.weight",
            "intermediate.train.batch_size", "model.source"} <= keys
    assert "intermediate.train.batch_size = 32\n    Effective batch size" in text
    assert "intermediate.sampler = 'proportional'" in text and "One of: proportional, temperature, uniform." in text


def test_sweep_help_config_documents_the_sweep_file(capsys):
    assert main(["sweep", "--help-config"]) == 0
    text = capsys.readouterr().out
    for name in SweepSpec.model_fields:
        assert f"\n{name} = " in text
    for name in Resources.model_fields:
        assert f"\nresources.{name} = " in text
    assert "keep_trained_models = True" in text and "samples = None" in text and "Example:" in text


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"xstilts {__version__}"


@pytest.mark.parametrize("command", [["study"], ["sweep", "run"], ["sweep", "plan"]])
def test_a_run_config_given_as_a_sweep_is_one_line(command, capsys):
    assert main([*command, str(REPO / "configs" / "mini.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "is a run config, not a sweep file" in err and "xstilts run" in err


def test_study_writes_its_report_under_the_sweep_s_name(tmp_path, monkeypatch, data_dir):
    calls = {}
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("xstilts.cli.sweep.run_command", lambda *a, **k: calls.setdefault("run", True))
    monkeypatch.setattr("xstilts.cli.report.write_report",
                        lambda store, out, **k: calls.update(out=out, only=k["only_trials"]))
    (tmp_path / "base.yaml").write_text(yaml.safe_dump({"targets": {"pawsx": {"train_split": "pawsx:dev[0:16]", "eval_split": "dev[100:116]"}}, "store": "r.sqlite", "data_dir": str(data_dir)}))
    (tmp_path / "my-sweep.yaml").write_text(yaml.safe_dump({"base": "base.yaml", "grid": {"seed": [0]}}))
    assert main(["study", str(tmp_path / "my-sweep.yaml")]) == 0
    only = calls.pop("only")
    assert calls == {"run": True, "out": Path("runs/my-sweep/report")}
    assert len(only) == 1  # the report covers the sweep's one trial, not whatever else the store holds


def test_score_with_no_task_in_common_is_an_error(tmp_path):
    (tmp_path / "pred" / "pawsx").mkdir(parents=True)
    (tmp_path / "gold" / "xnli").mkdir(parents=True)
    with pytest.raises(XstiltsError, match=r"no XTREME task folder is in both .*\(pawsx\) .*\(xnli\)"):
        check_score_folders(tmp_path / "pred", tmp_path / "gold")
    check_score_folders(LAYOUT / "predictions", LAYOUT / "labels")  # the good order passes


def test_swapped_score_folders_are_named(tmp_path):
    with pytest.raises(XstiltsError, match="--predictions and --gold look swapped"):
        check_score_folders(LAYOUT / "labels", LAYOUT / "predictions")
