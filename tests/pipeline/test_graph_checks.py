"""Input the trial graph refuses before anything is trained or written (issue: bad input)."""

from __future__ import annotations

import shutil

import pytest
import yaml

from pipeline_helpers import TRAIN, tiny_config
from xstilts.config import load_config
from xstilts.errors import ConfigError, DataError
from xstilts.pipeline.graph import TrialGraph
from xstilts.tasks.registry import EXTRA_SPECS_ENV, SPEC_DIR

PAWSX = {"pawsx": {"train_split": "pawsx:dev[0:32]", "eval_split": "dev[100:116]", "languages": ["en", "de"],
                   "max_length": 48, "train": TRAIN}}


def _pawsx_copy(data_dir, dest):
    for lang in ("en", "de"):
        (dest / "target/pawsx").mkdir(parents=True, exist_ok=True)
        shutil.copy(data_dir / f"target/pawsx/dev-{lang}.tsv", dest / f"target/pawsx/dev-{lang}.tsv")
    return dest


def test_a_translation_with_missing_lines_is_named(tmp_path, data_dir, tiny_encoder):
    copy = _pawsx_copy(data_dir, tmp_path / "data")
    german = copy / "target/pawsx/dev-de.tsv"
    lines = german.read_text(encoding="utf-8").splitlines(keepends=True)
    german.write_text("".join(lines[:50] + lines[51:]), encoding="utf-8")  # one line lost
    config = load_config(tiny_config(tmp_path, copy, tiny_encoder, PAWSX))
    with pytest.raises(DataError) as err:
        TrialGraph.build(config)
    assert err.value.path == str(german) and "1999 examples" in str(err.value) and "2000" in str(err.value)


def test_an_unlabelled_training_file_is_refused_before_training(tmp_path, data_dir, tiny_encoder):
    copy = _pawsx_copy(data_dir, tmp_path / "data")
    english = copy / "target/pawsx/dev-en.tsv"
    rows = [line.split("\t")[:2] for line in english.read_text(encoding="utf-8").splitlines()]
    english.write_text("".join("\t".join(row) + "\n" for row in rows), encoding="utf-8")  # labels dropped
    config = load_config(tiny_config(tmp_path, copy, tiny_encoder, PAWSX))
    with pytest.raises(ConfigError) as err:
        TrialGraph.build(config)
    assert err.value.key == "targets.pawsx.train_split" and "without a label" in str(err.value)
    assert not (tmp_path / "work").exists()


def test_a_custom_target_task_is_refused_before_training(tmp_path, data_dir, tiny_encoder, monkeypatch):
    specs = tmp_path / "specs"
    specs.mkdir()
    spec = yaml.safe_load((SPEC_DIR / "pawsx.yaml").read_text(encoding="utf-8")) | {"name": "mypawsx"}
    (specs / "mypawsx.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    monkeypatch.setenv(EXTRA_SPECS_ENV, str(specs))
    targets = {"mypawsx": PAWSX["pawsx"] | {"train_split": "mypawsx:dev[0:32]"}}
    config = load_config(tiny_config(tmp_path, data_dir, tiny_encoder, targets))
    with pytest.raises(ConfigError) as err:
        TrialGraph.build(config)
    assert err.value.key == "targets.mypawsx" and "XTREME" in str(err.value)
