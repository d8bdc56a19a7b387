"""SIGKILL a tiny-encoder sweep at many points, rerun after each: the store ends up equal to an
uninterrupted run's, every checkpoint on disk verifies and loads, and the weights are
bit-identical to the uninterrupted run's.

CI runs 4 kill points; the full run is
    XSTILTS_CRASH_POINTS=20 python -m pytest tests/reliability/test_crash_injection.py -s
(``XSTILTS_CRASH_SEED`` picks another kill plan).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter

from safetensors.torch import load_file

from xstilts.train.checkpoint import verify_dir

from crash_harness import (crash_points_requested, normalized_store, plan_kill_points, run_with_kills,
                           verified_folders, weight_hashes, write_crash_sweep)
from reliability_helpers import integrity


def test_sweep_continues_past_a_diverged_trial(reference_sweep):
    statuses = Counter(status for _, status, _ in reference_sweep.store["trials"])
    assert statuses == {"diverged": reference_sweep.seeds, "done": reference_sweep.seeds}
    diverged = [row for row in reference_sweep.store["phases"] if row[3] == "diverged"]
    assert len(diverged) == reference_sweep.seeds
    for _key, phase, task, _status, steps, diverged_step, last_finite_loss, *_ in diverged:
        assert (phase, task) == ("intermediate", "sst2")
        assert json.loads(diverged_step) == json.loads(steps) + 1 and json.loads(last_finite_loss) > 0
    done_params = {params for params, status, _ in reference_sweep.store["trials"] if status == "done"}
    assert {row[0] for row in reference_sweep.store["scores"]} == done_params


def test_killed_sweep_reruns_to_the_uninterrupted_result(reference_sweep, tmp_path, data_dir, tiny_encoder):
    points = plan_kill_points(crash_points_requested(), seed=int(os.environ.get("XSTILTS_CRASH_SEED", 0)))
    sweep = write_crash_sweep(tmp_path / "crashed", data_dir, tiny_encoder, reference_sweep.seeds)
    report = run_with_kills(sweep, points)
    print(f"\nkill points: {len(report.landed)} landed {Counter(p.kind for p in report.landed)}, "
          f"{len(report.missed)} missed; {report.seconds:.0f} s (uninterrupted: {reference_sweep.seconds:.0f} s)")
    assert report.missed == []

    assert integrity(sweep.store) == "ok"
    with sqlite3.connect(sweep.store) as db:
        statuses = {status for (status,) in db.execute("SELECT DISTINCT status FROM trials")}
    assert statuses == {"done", "diverged"}  # nothing left running or failed
    # Same trials, scores, phase outcomes, curves and links as the uninterrupted run: none lost, none twice.
    assert normalized_store(sweep.store) == reference_sweep.store

    for folder in verified_folders(sweep.work):
        verify_dir(folder)
        if (folder / "model.safetensors").is_file():
            assert load_file(folder / "model.safetensors")
    assert weight_hashes(sweep.work) == reference_sweep.weights  # bit-identical weights, same folders
    assert [p for p in sweep.work.rglob(".*") if p.is_dir()] == []  # no staging folder left behind
