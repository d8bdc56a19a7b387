"""A finished phase whose weights were damaged on disk is detected, quarantined and computed
again (bit-identical on CPU), never loaded silently.

Works on a copy of the uninterrupted reference sweep: the damage is a few flipped bytes in the
middle of a weights file, which leaves the safetensors header intact, so only a checksum can
tell. The rerun caps the evaluated examples (a new zero-shot phase, the same target phase), so
the zero-shot phase needs the target weights, and retraining the target needs the encoder.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import yaml

from crash_harness import sha256
from reliability_helpers import run_cli


def _flip_middle_bytes(path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 16] = bytes(b ^ 0xFF for b in data[middle:middle + 16])
    path.write_bytes(bytes(data))


def _finished_trial_overrides(store) -> list[str]:
    """The sweep's overrides that reproduce its (first) finished trial."""
    with sqlite3.connect(store) as db:
        params = json.loads(db.execute("SELECT params FROM trials WHERE status = 'done' ORDER BY params").fetchone()[0])
    return [f"{key}={json.dumps(value)}" for key, value in params["grid"].items()]


def _phase_folder(work, phase: str, status: str = "done"):
    for done in sorted(work.glob(f"{phase}/*/DONE.json")):
        if json.loads(done.read_text())["record"]["status"] == status:
            return done.parent
    raise AssertionError(f"no finished {phase} phase under {work}")


def test_damaged_weights_of_finished_phases_are_retrained_not_used(reference_sweep, tmp_path, capsys):
    folder = tmp_path / "sweep"
    # A copy is reused in place: DONE.json names weights relative to its own folder.
    shutil.copytree(reference_sweep.sweep.folder, folder, symlinks=True)
    work = folder / "work"
    encoder = _phase_folder(work, "intermediate") / "encoder" / "model.safetensors"
    target_folder = _phase_folder(work, "target")
    target_done = json.loads((target_folder / "DONE.json").read_text())
    (target_weights,) = [target_folder / path / "model.safetensors" for path in target_done["extra"]["weights"].values()]
    assert target_weights.is_file() and not any(Path(path).is_absolute() for path in target_done["extra"]["weights"].values())
    original = {"encoder": sha256(encoder), "target": sha256(Path(target_weights))}
    _flip_middle_bytes(encoder)
    _flip_middle_bytes(Path(target_weights))

    config = yaml.safe_load((folder / "base.yaml").read_text())
    (folder / "run.yaml").write_text(yaml.safe_dump({**config, "work_dir": "work", "store": "rerun.sqlite"}))
    code, lines = run_cli(capsys, "run", folder / "run.yaml", *_finished_trial_overrides(folder / "results.sqlite"),
                          "targets.pawsx.max_eval_examples=16")
    assert code == 0, lines[-3:]

    with sqlite3.connect(folder / "rerun.sqlite") as db:
        computed = dict(db.execute("SELECT p.phase, tp.computed FROM trial_phases tp JOIN phases p ON p.key = tp.phase_key"))
        status = db.execute("SELECT status FROM trials").fetchone()[0]
    assert status == "done" and computed == {"intermediate": 1, "target": 1, "zero_shot": 1}
    assert len(list(work.glob("intermediate/corrupt-*"))) == 1 and len(list(work.glob("target/corrupt-*"))) == 1
    assert sha256(encoder) == original["encoder"]  # retrained to the same bytes
    assert sha256(Path(target_weights)) == original["target"]
