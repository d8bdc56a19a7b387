"""Helpers for the sweep tests: write a sweep over the fake pipeline, read what it trained."""

from __future__ import annotations

from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
FAKE = "sweep_fake_pipeline"

BASE_CONFIG = {
    "work_dir": "work",
    "seed": 0,
    "targets": {"xnli": {"languages": ["en", "de", "sw"]}, "pawsx": {"languages": ["en", "ja"]}},
}


def write_sweep(folder: Path, grid: dict, *, base: dict | None = None, **sweep_keys) -> Path:
    """base.yaml (the fake pipeline's config) and sweep.yaml in ``folder``; returns the sweep file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.yaml").write_text(yaml.safe_dump(base or BASE_CONFIG))
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump({"base": "base.yaml", "grid": grid, **sweep_keys}))
    return path


def steps_logged(work_dir: Path) -> dict[str, list[int]]:
    """Phase key -> the optimizer steps the fake pipeline trained, in order, over all runs."""
    return {
        log.parent.name: [int(line) for line in log.read_text().split()]
        for log in sorted((work_dir / "phases").glob("*/steps.log"))
    }


SMALL_GRID = {
    "intermediate.task": ["none", "sst2"],
    "intermediate.train.batch_size": [2, 4],
    "intermediate.train.learning_rate": ["1e-5"],
    "seed": [0],
}


def attempts(work_dir: Path) -> list[tuple[str, int]]:
    """(trial_id, pid) for every call of the fake pipeline's run_trial, in order."""
    lines = (work_dir / "attempts.log").read_text().split("\n")
    return [(trial, int(pid)) for trial, pid in (line.split() for line in lines if line)]
