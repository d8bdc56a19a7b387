"""A tiny-encoder run config over small slices of the shared pack, for pipeline tests."""

from __future__ import annotations

from pathlib import Path

import yaml


TRAIN = {"batch_size": 8, "micro_batch_size": 8, "learning_rate": 1.0e-3, "epochs": 1, "warmup_ratio": 0.1}


def tiny_config(tmp: Path, data_dir: Path, encoder: Path, targets: dict, intermediate: dict | None = None) -> Path:
    config = {
        "name": "tiny",
        "data_dir": str(data_dir),
        "work_dir": str(tmp / "work"),
        "store": str(tmp / "results.sqlite"),
        "threads": 1,
        "eval_batch_size": 32,
        "model": {"source": str(encoder), "freeze_word_embeddings": True},
        "intermediate": intermediate or {"task": "none"},
        "targets": targets,
    }
    path = tmp / "run.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


