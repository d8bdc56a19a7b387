"""The SQLite results store: idempotent upserts, the frames the analysis reads, atomic writes."""

from __future__ import annotations

import math
import sqlite3

import pandas as pd
import pytest

from xstilts.analysis.frame import validate_curves_frame, validate_results_frame
from xstilts.results import TrialResult
from xstilts.store.frames import RESULT_COLUMNS
from xstilts.store.sqlite import ResultStore

from store_records import baseline_trial, phase, scores, sst2_trial


@pytest.fixture
def store(tmp_path):
    with ResultStore(tmp_path / "results.sqlite") as db:
        yield db


def table_rows(store: ResultStore, table: str) -> list[tuple]:
    return sorted(sqlite3.connect(store.path).execute(f"SELECT * FROM {table}").fetchall(), key=repr)


def test_results_frame_has_exactly_the_agreed_columns_and_values(store):
    store.record(sst2_trial())
    store.record(baseline_trial())
    frame = store.results_frame()
    assert tuple(frame.columns) == RESULT_COLUMNS
    assert len(frame) == 4  # (2 trials) x (en, de)
    row = frame[(frame.trial_id == "t-sst2") & (frame.language == "de")].iloc[0]
    assert (row.intermediate_task, row.batch_size, row.learning_rate, row.seed) == ("sst2", 16, 3e-5, 1)
    assert (row.target_task, row.metric, row.score, row.selection) == ("xnli", "accuracy", 70.5, "english_dev")
    assert row.examples_per_s == 50.0 and row.real_tokens_per_s == 1000.0
    assert row.device_hours == pytest.approx(2.0)  # the intermediate phase's 7200 s
    assert row.n_examples == 250 and row.target_settings == "default"
    base = frame[frame.trial_id == "t-base"]
    # The baseline has no intermediate phase: no throughput, no intermediate hyperparameters.
    assert base[["batch_size", "learning_rate", "examples_per_s", "device_hours"]].isna().all().all()
    validate_results_frame(frame)  # the analysis accepts it as is


def test_recording_twice_changes_nothing(store):
    result = sst2_trial()
    store.record(result)
    before = {t: table_rows(store, t) for t in ("trials", "phases", "trial_phases", "scores", "curves")}
    store.record(result)
    after = {t: table_rows(store, t) for t in ("trials", "phases", "trial_phases", "scores", "curves")}
    for table in before:
        # recorded_at/finished_at timestamps may move; everything keyed must stay put
        assert len(before[table]) == len(after[table]), table
    assert before["scores"] == after["scores"] and before["curves"] == after["curves"]
    assert len(store.results_frame()) == 2


def test_a_rerun_replaces_the_trials_scores_instead_of_adding_rows(store):
    store.record(sst2_trial())
    rerun = sst2_trial()
    rerun.scores = scores([("en", 81.0)])
    store.record(rerun)
    frame = store.results_frame()
    assert frame[["language", "score"]].values.tolist() == [["en", 81.0]]


def test_reusing_a_phase_keeps_the_record_of_its_computation(store):
    store.record(sst2_trial("t1"))
    reuse = sst2_trial("t2")
    reuse.phases[0] = phase("inter-A", "intermediate", "sst2", seconds=0.5, computed=False)
    store.record(reuse)
    frame = store.results_frame()
    hours = frame.groupby("trial_id").device_hours.first()
    assert hours["t1"] == hours["t2"] == pytest.approx(2.0)
    assert frame.groupby("trial_id").examples_per_s.first()["t2"] == 50.0
    links = dict(((t, k), c) for t, k, _, c, _ in table_rows(store, "trial_phases"))
    assert links[("t1", "inter-A")] == 1 and links[("t2", "inter-A")] == 0


def test_failed_and_diverged_trials_appear_with_nan_scores(store):
    store.record(sst2_trial("t-div", status="diverged"))
    failed = TrialResult(trial_id="t-fail", params={"intermediate_task": "anli", "batch_size": 8,
                                                    "learning_rate": 1e-5, "seed": 0},
                         status="failed", error="RuntimeError: boom")
    store.record(failed)
    frame = store.results_frame().set_index("trial_id")
    assert frame.loc["t-div", "status"] == "diverged" and math.isnan(frame.loc["t-div", "score"])
    assert frame.loc["t-fail", "status"] == "failed" and math.isnan(frame.loc["t-fail", "score"])
    assert math.isnan(frame.loc["t-fail", "device_hours"])
    validate_results_frame(frame.reset_index())


def test_finished_trials_are_done_and_diverged_ones_not_failed_or_running(store):
    store.record(sst2_trial("t-done"))
    store.record(sst2_trial("t-div", status="diverged"))
    store.record(TrialResult(trial_id="t-fail", params={"intermediate_task": "anli"}, status="failed", error="boom"))
    store.mark_running("t-run", {"intermediate_task": "sst2"})
    assert store.finished_trial_ids() == {"t-done", "t-div"}


def test_running_trials_stay_out_of_the_frame_and_finished_ones_keep_their_status(store):
    store.mark_running("t-sst2", {"intermediate_task": "sst2"})
    assert store.trial_statuses() == {"t-sst2": "running"}
    assert store.results_frame().empty
    store.record(sst2_trial())
    store.mark_running("t-sst2", {"intermediate_task": "sst2"})  # a stray restart must not undo "done"
    assert store.trial_statuses() == {"t-sst2": "done"}


def test_mark_running_counts_attempts(store):
    for _ in range(3):
        store.mark_running("t1", {"seed": 0})
    attempts = sqlite3.connect(store.path).execute("SELECT attempts FROM trials").fetchone()[0]
    assert attempts == 3


def test_a_write_that_fails_midway_leaves_nothing(store):
    broken = sst2_trial()
    broken.phases[1] = phase(None, "target", "xnli")  # NOT NULL key: fails after the trial row
    with pytest.raises(sqlite3.IntegrityError):
        store.record(broken)
    assert table_rows(store, "trials") == []
    assert table_rows(store, "phases") == []


def test_unfinished_status_cannot_be_recorded(store):
    result = sst2_trial()
    result.status = "running"
    with pytest.raises(ValueError):
        store.record(result)


def test_store_uses_wal(store):
    assert sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_curves_frame_lists_a_shared_phase_under_every_trial_using_it(store):
    store.record(sst2_trial("t1"))
    reuse = sst2_trial("t2")
    reuse.phases[0] = phase("inter-A", "intermediate", "sst2", computed=False)
    reuse.curves = []  # a reused phase trains nothing, so reports no curve
    store.record(reuse)
    curves = validate_curves_frame(store.curves_frame())
    assert list(curves.columns) == ["trial_id", "phase_key", "step", "train_loss", "dev_score"]
    assert curves.groupby("trial_id").size().to_dict() == {"t1": 2, "t2": 2}
    assert curves.dev_score.isna().sum() == 2


def test_phases_frame_puts_estimate_beside_actual(store):
    result = sst2_trial()
    result.phases[0].estimate_s = 9000.0
    store.record(result)
    phases = store.phases_frame().set_index("phase_key")
    assert phases.loc["inter-A", "estimate_s"] == 9000.0
    assert phases.loc["inter-A", "estimate_error"] == pytest.approx(9000 / 7200 - 1)
    assert math.isnan(phases.loc["target-A", "estimate_error"])  # no estimate given
    assert phases.loc["inter-A", "trial_ids"] == "t-sst2"


def test_calibrations_are_cached_by_key(store, tmp_path):
    assert store.calibration("k1") is None
    store.save_calibration("k1", 0.25, {"batch_size": 8})
    store.close()
    with ResultStore(tmp_path / "results.sqlite") as reopened:
        assert reopened.calibration("k1") == 0.25


def test_empty_store_gives_empty_frames_with_the_columns(store):
    assert tuple(store.results_frame().columns) == RESULT_COLUMNS
    assert isinstance(store.curves_frame(), pd.DataFrame) and store.curves_frame().empty
