"""``xstilts report``: a real SQLite store in, the report out."""

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from xstilts.analysis.frame import THROUGHPUT_COLUMNS
from synthetic_frames import synthetic_curves_frame, synthetic_results_frame
from xstilts.analysis.gains import cell_gains, trial_gains
from xstilts.cli.report import load_study_notes, register
from xstilts.errors import ConfigError
from xstilts.results import CurvePoint, PhaseRecord, ScoreRow, Throughput, TrialResult
from xstilts.store.sqlite import ResultStore


def _throughput(trial: dict) -> Throughput:
    return Throughput(examples_per_s=trial["examples_per_s"], real_tokens_per_s=trial["real_tokens_per_s"],
                      padded_tokens_per_s=trial["real_tokens_per_s"] * 1.3, steps_per_s=1.0,
                      wall_s=trial["device_hours"] * 3600, peak_memory_bytes=1, flops=1.0, mfu=None,
                      examples=100, steps=10)


def _trial_result(rows: pd.DataFrame, curves: pd.DataFrame) -> TrialResult:
    trial = rows.iloc[0].to_dict()
    params = {k: trial[k] for k in ("intermediate_task", "batch_size", "learning_rate", "seed", "target_settings")}
    phases = []
    if trial["intermediate_task"] != "none" and np.isfinite(trial["examples_per_s"]):
        phases.append(PhaseRecord(key=f"{trial['trial_id']}/intermediate", phase="intermediate",
                                  task=trial["intermediate_task"], computed=True, status=trial["status"],
                                  seconds=trial["device_hours"] * 3600, throughput=_throughput(trial)))
    scores = [ScoreRow(r.target_task, r.language, r.metric, r.score, r.selection)
              for r in rows.itertuples() if np.isfinite(r.score)]
    points = [CurvePoint(c.phase_key, int(c.step), c.train_loss, c.dev_score) for c in curves.itertuples()]
    phases.append(PhaseRecord(key=points[0].phase_key, phase="target", task="xnli", computed=True,
                              status=trial["status"], seconds=1.0))
    return TrialResult(trial["trial_id"], params, trial["status"], phases, scores, points)


@pytest.fixture()
def store_path(tmp_path):
    frame = synthetic_results_frame(seeds=(0, 1), batch_sizes=(8, 32), n_diverged=1)
    curves = synthetic_curves_frame(frame)
    path = tmp_path / "results.sqlite"
    with ResultStore(path) as store:
        for trial_id, rows in frame.groupby("trial_id"):
            store.record(_trial_result(rows, curves[curves["trial_id"] == trial_id]))
    return path, frame


def _cli() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command("noop")  # a second command keeps typer from collapsing the app into one command
    def _noop() -> None:
        pass

    return app


def test_report_command_reads_the_store_and_writes_the_report(store_path, tmp_path):
    path, frame = store_path
    notes = tmp_path / "notes.yaml"
    notes.write_text("data_per_phase:\n  intermediate: 1000 examples\n  target: 200 examples\n")
    result = CliRunner().invoke(_cli(), ["report", str(path), "--out", str(tmp_path / "out"),
                                         "--notes", str(notes), "--resamples", "200"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    assert (out / "report.html").is_file() and (out / "report.md").is_file()
    assert "intermediate: 1000 examples; target: 200 examples" in (out / "report.md").read_text()
    # The store's frame gives the same gains as the frame the store was filled from.
    written = pd.read_csv(out / "gains.csv").set_index("trial_id")["xtreme_gain"].sort_index()
    direct = trial_gains(cell_gains(frame))
    direct = direct[direct["selection"] == "english_dev"].set_index("trial_id")["xtreme_gain"].sort_index()
    pd.testing.assert_series_equal(written, direct, check_dtype=False, check_index_type=False)
    trials = pd.read_csv(out / "trials.csv")
    assert (trials["status"] == "diverged").sum() == 1
    assert trials.loc[trials["intermediate_task"] != "none", list(THROUGHPUT_COLUMNS)].notna().all().all()


def test_missing_store_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(_cli(), ["report", str(tmp_path / "absent.sqlite"), "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "results store not found" in str(result.exception)
    assert not (tmp_path / "absent.sqlite").exists()  # the check runs before the store would create it


def test_study_notes_must_be_a_mapping(tmp_path):
    notes = tmp_path / "notes.yaml"
    notes.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="must be a YAML mapping"):
        load_study_notes(notes)
    assert load_study_notes(None) == {}
