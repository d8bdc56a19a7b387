"""Bad input through ``xstilts run``: exit code 2, one stderr line naming the key or file:line,
no store written and no phase folder created."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
import yaml

from xstilts.config import load_config

from reliability_helpers import set_key, phase_folders, run_cli


@dataclass(frozen=True)
class BadInput:
    name: str
    expected: str  # must appear in the one stderr line
    overrides: tuple[str, ...] = ()  # "{folder}" stands for the case's folder
    edit: Callable[[dict], None] | None = None  # changes the YAML before it is written
    setup: Callable[[Path, Path], None] | None = field(default=None)  # (folder, tiny encoder)


def _model_copy(folder: Path, encoder: Path) -> Path:
    model = folder / "model"
    model.mkdir()
    shutil.copy(encoder / "config.json", model / "config.json")
    shutil.copy(encoder / "model.safetensors", model / "model.safetensors")
    return model


def _broken_model_config(folder: Path, encoder: Path) -> None:
    (_model_copy(folder, encoder) / "config.json").write_text('{"model_type": "bert", ', encoding="utf-8")


def _truncated_model_weights(folder: Path, encoder: Path) -> None:
    weights = _model_copy(folder, encoder) / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])


def _not_a_checkpoint(folder: Path, encoder: Path) -> None:
    (folder / "model").mkdir()
    (folder / "model" / "README").write_text("no config.json here", encoding="utf-8")


CASES = [
    BadInput("unknown key in the file", "'intermediate.bogus'", edit=set_key("intermediate.bogus", 1)),
    BadInput("unknown key as override", "'targets.pawsx.train.bogus'", ("targets.pawsx.train.bogus=1",)),
    BadInput("wrong type", "'intermediate.train.batch_size'", ("intermediate.train.batch_size=abc",)),
    BadInput("wrong type in the file", "'targets.pawsx.languages'", edit=set_key("targets.pawsx.languages", 7)),
    BadInput("batch size zero", "'targets.pawsx.train.batch_size'", ("targets.pawsx.train.batch_size=0",)),
    BadInput("batch size negative", "'intermediate.train.batch_size'", ("intermediate.train.batch_size=-8",)),
    BadInput("micro-batch above batch", "'intermediate.train'", ("intermediate.train.micro_batch_size=16",)),
    BadInput("learning rate zero", "'intermediate.train.learning_rate'", ("intermediate.train.learning_rate=0",)),
    BadInput("learning rate negative", "'targets.pawsx.train.learning_rate'", ("targets.pawsx.train.learning_rate=-1e-5",)),
    BadInput("unknown intermediate task", "'intermediate.task'", ("intermediate.task=sst3",)),
    BadInput("unknown target task", "'targets.pawsy'", ("targets.pawsy.eval_split=dev",)),
    BadInput("intermediate task as target", "'targets.sst2'", ("targets.sst2.eval_split=dev",)),
    BadInput("unknown language", "'targets.pawsx.languages'", ("targets.pawsx.languages=[en,xx]",)),
    BadInput("missing data dir", "'data_dir'", ("data_dir=nowhere",)),
    BadInput("missing model dir", "'model.source'", ("model.source={folder}/missing-model",)),
    BadInput("model dir without config.json", "'model.source'", ("model.source={folder}/model",), setup=_not_a_checkpoint),
    BadInput("unreadable model config.json", "'model.source'", ("model.source={folder}/model",), setup=_broken_model_config),
    BadInput("truncated model weights", "'model.source'", ("model.source={folder}/model",), setup=_truncated_model_weights),
    BadInput("bad slice syntax", "'intermediate.train_split'", ("intermediate.train_split=train[0:x]",)),
    BadInput("unknown split name", "'intermediate.train_split'", ("intermediate.train_split=validation[0:10]",)),
    BadInput("unknown eval split name", "'targets.pawsx.eval_split'", ("targets.pawsx.eval_split=validation",)),
    BadInput("unknown task in a split", "'targets.pawsx.train_split'", ("targets.pawsx.train_split=pawsy:dev[0:10]",)),
    BadInput("slice past the end", "'targets.pawsx.eval_split'", ("targets.pawsx.eval_split=dev[5000:6000]",)),
    BadInput("empty slice", "'intermediate.dev_split'", ("intermediate.dev_split=dev[40:40]",)),
    BadInput("target train split without files", "'targets.pawsx.train_split'", ("targets.pawsx.train_split=pawsx:test[0:10]",)),
    BadInput("override without '='", "'seed'", ("seed",)),
]


def _write_config(folder: Path, run_config: Path, case: BadInput) -> Path:
    config = yaml.safe_load(run_config.read_text(encoding="utf-8"))
    if case.edit:
        case.edit(config)
    path = folder / "run.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def assert_rejected(code: int, lines: list[str], expected: str, folder: Path) -> None:
    assert code == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and expected in lines[0], lines[0]
    assert not (folder / "results.sqlite").exists()
    assert phase_folders(folder / "work") == []


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_config_exits_2_naming_the_key_and_writes_nothing(case, tmp_path, run_config, tiny_encoder, capsys):
    folder = tmp_path / "case"
    folder.mkdir()
    if case.setup:
        case.setup(folder, tiny_encoder)
    config = _write_config(folder, run_config, case)
    code, lines = run_cli(capsys, "run", config, *(o.format(folder=folder) for o in case.overrides))
    assert_rejected(code, lines, case.expected, folder)


MALFORMED_YAML = """\
name: tiny
seed: 0
intermediate:
  task: sst2
   train_split: train[0:64]
"""


def test_malformed_yaml_names_file_and_line(tmp_path, capsys):
    config = tmp_path / "run.yaml"
    config.write_text(MALFORMED_YAML, encoding="utf-8")
    code, lines = run_cli(capsys, "run", config)
    assert_rejected(code, lines, f"{config}:5", tmp_path)


ALIASED_SECTIONS = """\
intermediate:
  task: sst2
  train: &shared {batch_size: 8, micro_batch_size: 8, learning_rate: 1.0e-3}
targets:
  pawsx:
    train: *shared
"""


def test_an_override_changes_only_its_key_even_in_an_aliased_yaml_section(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text(ALIASED_SECTIONS, encoding="utf-8")
    loaded = load_config(config, ["targets.pawsx.train.learning_rate=5e-5"])
    assert loaded.targets["pawsx"].train.learning_rate == 5e-5
    assert loaded.intermediate.train.learning_rate == 1e-3


def test_missing_config_file_is_named(tmp_path, capsys):
    code, lines = run_cli(capsys, "run", tmp_path / "absent.yaml")
    assert_rejected(code, lines, str(tmp_path / "absent.yaml"), tmp_path)


# --- malformed data files reached through a run ---------------------------------------------

DATA_FILES = {  # file -> lines copied (enough for every slice of the tiny config)
    "intermediate/sst2/train.tsv": 70,
    "intermediate/sst2/dev.tsv": 40,
    "target/pawsx/dev-en.tsv": 140,
    "target/pawsx/dev-de.tsv": 140,
}


def small_data_copy(data_dir: Path, folder: Path) -> Path:
    """The first lines of the few files the tiny config reads, laid out like the pack."""
    for name, count in DATA_FILES.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(data_dir / name, encoding="utf-8") as source:
            target.write_text("".join(line for _, line in zip(range(count), source)), encoding="utf-8")
    return folder


def _replace_line(path: Path, line_no: int, transform: Callable[[str], str]) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[line_no - 1] = transform(lines[line_no - 1])
    path.write_text("\n".join(lines), encoding="utf-8")


DAMAGE = {  # (file, 1-based line, what is done to it)
    "pawsx training line without its label": ("target/pawsx/dev-en.tsv", 10, lambda s: s.rsplit("\t", 1)[0]),
    "pawsx evaluation line with an unknown label": ("target/pawsx/dev-de.tsv", 120, lambda s: s.rsplit("\t", 1)[0] + "\t7"),
    "sst2 training line with an unknown label": ("intermediate/sst2/train.tsv", 5, lambda s: s.rsplit("\t", 1)[0] + "\tmaybe"),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_malformed_data_file_exits_2_naming_file_and_line(damage, tmp_path, data_dir, run_config, capsys):
    name, line_no, transform = DAMAGE[damage]
    data_copy = small_data_copy(data_dir, tmp_path / "data")
    _replace_line(data_copy / name, line_no, transform)
    folder = run_config.parent
    code, lines = run_cli(capsys, "run", run_config, f"data_dir={data_copy}")
    assert_rejected(code, lines, f"{data_copy / name}:{line_no}", folder)


def test_the_small_data_copy_itself_is_accepted(tmp_path, data_dir, run_config, capsys):
    """Guards the test above: without damage the same copy passes the checks (dry run)."""
    data_copy = small_data_copy(data_dir, tmp_path / "data")
    code, lines = run_cli(capsys, "run", run_config, f"data_dir={data_copy}", "--dry-run")
    assert code == 0, lines
