"""Helpers for the reliability tests: a tiny run config, the CLI in-process, store snapshots."""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path
from typing import Callable, Any

import yaml

from xstilts.cli import main

TRAIN = {"batch_size": 8, "micro_batch_size": 8, "learning_rate": 1.0e-3, "epochs": 1, "eval_every": 4}
# Paths are relative to the config file, so a config describes one self-contained folder.
BASE_CONFIG: dict[str, Any] = {
    "name": "tiny",
    "work_dir": "work",
    "store": "results.sqlite",
    "seed": 0,
    "threads": 1,
    "eval_batch_size": 32,
    "intermediate": {"task": "sst2", "train_split": "train[0:64]", "dev_split": "dev[0:32]",
                     "max_length": 32, "train": dict(TRAIN)},
    "targets": {"pawsx": {"train_split": "pawsx:dev[0:64]", "dev_split": "dev[64:96]", "eval_split": "dev[100:132]",
                          "languages": ["en", "de"], "max_length": 48, "train": dict(TRAIN)}},
}
# A learning rate this large makes AdamW's first update overflow the tiny BERT's activations:
# the second step's loss is NaN. Real divergence, nothing injected.
DIVERGING_LR = 1.0e30


def run_config_dict(data_dir: Path, encoder: Path, **top_level: Any) -> dict[str, Any]:
    config = copy.deepcopy(BASE_CONFIG)
    # Frozen word embeddings: no optimizer state for the 250k-row matrix, so checkpoints stay small.
    config.update(data_dir=str(data_dir), model={"source": str(encoder), "freeze_word_embeddings": True}, **top_level)
    return config


def write_run_config(folder: Path, data_dir: Path, encoder: Path, **top_level: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "run.yaml"
    path.write_text(yaml.safe_dump(run_config_dict(data_dir, encoder, **top_level)), encoding="utf-8")
    return path


def run_cli(capsys, *argv: str) -> tuple[int, list[str]]:
    """``xstilts ARGV`` in this process: (exit code, non-empty stderr lines)."""
    capsys.readouterr()
    code = main([str(a) for a in argv])
    return code, [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def phase_folders(work_dir: Path) -> list[Path]:
    """Content-addressed phase outputs (work_dir/<phase>/<key>) that exist."""
    return sorted(p for p in work_dir.glob("*/*") if p.is_dir()) if work_dir.is_dir() else []


STORE_TABLES = ("trials", "phases", "trial_phases", "scores", "curves", "calibrations")


def store_rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: two stores are equal when these are."""
    with sqlite3.connect(path) as db:
        return {table: sorted(db.execute(f"SELECT * FROM {table}").fetchall(), key=repr) for table in STORE_TABLES}


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


def set_key(path: str, value) -> Callable[[dict], None]:
    """An edit of a config dict that sets one dotted key (making sections on the way)."""
    def edit(config: dict) -> None:
        *parents, last = path.split(".")
        node = config
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return edit
