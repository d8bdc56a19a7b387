"""What the study report says about its data and its coverage (issue: 'The report states how
much data each phase saw'; a long study may be reported before it ends)."""

from __future__ import annotations

from pathlib import Path

from xstilts.cli.study import data_per_phase, study_notes
from xstilts.config import load_config
from xstilts.results import TrialResult
from xstilts.store.sqlite import ResultStore

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_data_per_phase_names_every_intermediate_task_and_borrowed_models():
    base = load_config(CONFIGS / "mini-study-full-base.yaml")
    notes = data_per_phase(base, ["none", "sst2", "nli_standin", "qa_standin"])
    assert notes["intermediate"].startswith("sst2, nli_standin, qa_standin: train[0:1000] x 1 epoch(s)")
    assert notes["mlqa"].startswith("the model trained for xquad; evaluate dev, at most 40 per language")
    assert notes["xquad"].startswith("train tydiqa:train[1150:1450] x 2 epoch(s)")
    assert notes["tatoeba"].startswith("evaluate test")
    # A baseline-only sweep has no intermediate data to describe.
    assert "intermediate" not in data_per_phase(base, ["none"])


class _Trial:
    def __init__(self, trial_id, config):
        self.trial_id, self.config = trial_id, config


def test_study_notes_count_the_finished_trials_of_the_sweep(tmp_path):
    base = load_config(CONFIGS / "mini-study-base.yaml", [f"store={tmp_path / 'r.sqlite'}"])
    trials = [_Trial(name, base) for name in ("a", "b", "c")]
    assert study_notes(base, trials)["trials"].startswith("0 of the sweep's 3 trials finished")
    with ResultStore(tmp_path / "r.sqlite") as store:
        store.record(TrialResult("a", {"intermediate_task": "none"}, "done"))
        store.record(TrialResult("b", {"intermediate_task": "sst2"}, "failed"))  # not finished: rerun resumes it
        store.mark_running("c", {"intermediate_task": "sst2"})
    notes = study_notes(base, trials)
    assert notes["trials"].startswith("1 of the sweep's 3 trials finished")
    assert notes["data_per_phase"]["intermediate"].startswith("sst2: train[0:800]")
