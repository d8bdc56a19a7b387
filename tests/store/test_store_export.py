"""Filtering and exporting store frames, and the ``xstilts results`` command."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

import pandas as pd
import pytest

from xstilts.cli import main
from xstilts.errors import ConfigError
from xstilts.store.export import export_frame, filter_frame
from xstilts.store.sqlite import ResultStore

from store_records import baseline_trial, sst2_trial


@pytest.fixture
def store_path(tmp_path):
    path = tmp_path / "results.sqlite"
    with ResultStore(path) as db:
        db.record(sst2_trial())
        db.record(baseline_trial())
    return path


def frame() -> pd.DataFrame:
    return pd.DataFrame({"task": ["sst2", "none", "sst2"], "learning_rate": [3e-5, float("nan"), 1e-5],
                         "score": [80.0, 78.0, 60.0]})


def test_where_clauses_combine_and_numbers_compare_as_numbers():
    assert filter_frame(frame(), ["task=sst2"]).score.tolist() == [80.0, 60.0]
    assert filter_frame(frame(), ["task=sst2", "learning_rate=3e-5"]).score.tolist() == [80.0]
    assert filter_frame(frame(), ["learning_rate=abc"]).empty


def test_where_names_an_unknown_column():
    with pytest.raises(ConfigError) as err:
        filter_frame(frame(), ["nope=1"])
    assert err.value.key == "nope"
    with pytest.raises(ConfigError):
        filter_frame(frame(), ["no-equals-sign"])


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_exports_round_trip(tmp_path, fmt):
    out = tmp_path / f"frame.{fmt}"
    assert export_frame(frame(), fmt, out) is None
    readers = {"csv": pd.read_csv, "json": lambda p: pd.read_json(p, orient="records"), "parquet": pd.read_parquet}
    back = readers[fmt](out)
    assert back.task.tolist() == ["sst2", "none", "sst2"] and back.score.tolist() == [80.0, 78.0, 60.0]


def test_parquet_needs_a_file_and_formats_are_checked():
    with pytest.raises(ConfigError) as err:
        export_frame(frame(), "parquet", None)
    assert err.value.key == "--out"
    with pytest.raises(ConfigError):
        export_frame(frame(), "xlsx", None)


def run_cli(*args) -> tuple[int, str]:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        code = main(list(args))
    return code, buffer.getvalue()


def test_results_command_filters_and_prints_json(store_path):
    code, text = run_cli("results", str(store_path), "--view", "scores", "--where", "intermediate_task=sst2",
                         "--format", "json")
    assert code == 0
    rows = json.loads(text)
    assert {r["trial_id"] for r in rows} == {"t-sst2"} and len(rows) == 2
    assert {r["language"]: r["score"] for r in rows} == {"en": 80.0, "de": 70.5}


def test_results_command_phase_view_shows_estimate_and_actual(store_path):
    code, text = run_cli("results", str(store_path), "--view", "phases", "--format", "table")
    assert code == 0
    header = text.splitlines()[0].split()
    assert "estimate_s" in header and "seconds" in header and "estimate_error" in header


def test_results_command_writes_parquet(store_path, tmp_path):
    out = tmp_path / "out.parquet"
    assert run_cli("results", str(store_path), "--view", "scores", "--format", "parquet", "--out", str(out))[0] == 0
    assert len(pd.read_parquet(out)) == 4


def test_results_command_on_a_missing_store_exits_2_without_creating_it(tmp_path, capsys):
    missing = tmp_path / "missing.sqlite"
    assert main(["results", str(missing)]) == 2
    assert not missing.exists()
    assert "no results store" in capsys.readouterr().err


def test_the_default_view_is_one_row_per_trial_and_target_with_its_gain(store_path):
    code, text = run_cli("results", str(store_path), "--format", "json")
    assert code == 0
    rows = {r["trial_id"]: r for r in json.loads(text)}
    assert set(rows) == {"t-sst2", "t-base"}
    # sst2: en 80.0 - 78.0 = 2.0, de 70.5 - 69.0 = 1.5; mean 1.75. The baseline has no gain.
    assert rows["t-sst2"]["gain"] == pytest.approx(1.75) and rows["t-sst2"]["score"] == pytest.approx(75.25)
    assert rows["t-sst2"]["languages"] == 2 and rows["t-sst2"]["examples_per_s"] == pytest.approx(50.0)
    assert rows["t-base"]["gain"] is None and rows["t-base"]["score"] == pytest.approx(73.5)
    code, table = run_cli("results", str(store_path))
    assert code == 0 and "target_settings" not in table and len(table.splitlines()) == 3  # header + 2 rows

