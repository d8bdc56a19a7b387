"""What the study report says about its data and its coverage (issue: 'The report states how
much data each phase saw'; a long study may be reported before it ends)."""

from __future__ import annotations

from pathlib import Path

from xstilts.cli.study import data_per_phase, study_notes
from xstilts.config import load_config
from xstilts.results import PhaseRecord, TrialResult
from xstilts.store.sqlite import ResultStore

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_data_per_phase_names_every_intermediate_task_and_borrowed_models():
    from xstilts.sweep.adapter import Pipeline
    from xstilts.sweep.spec import load_sweep
    from xstilts.sweep.trials import expand_sweep

    base = load_config(CONFIGS / "mini-study-full-base.yaml")
    trials = expand_sweep(load_sweep(CONFIGS / "mini-study-full.yaml"), Pipeline())
    notes = data_per_phase(base, [trial.config for trial in trials])
    # One entry per distinct intermediate setup, each task with its own splits (arms).
    assert notes["intermediate"].startswith("sst2: train[0:1000] x 1 epoch(s), max length 128; anli: dev[0:1000]")
    assert "squad: dev[0:1150]" in notes["intermediate"] and "commonsenseqa: train[0:1000]" in notes["intermediate"]
    assert "anli: dev[0:2100] x 1 epoch(s) (at most 63 steps)" in notes["intermediate"]
    assert notes["mlqa"].startswith("the model trained for xquad; evaluate dev, at most 50 per language")
    assert notes["xquad"].startswith("train squad:dev[5021:5371] x 1 epoch(s)")
    assert notes["tatoeba"].startswith("evaluate test")
    # A baseline-only sweep has no intermediate data to describe.
    assert "intermediate" not in data_per_phase(base, [base.model_copy(update={"intermediate": base.intermediate.model_copy(update={"task": "none"})})])


class _Trial:
    def __init__(self, trial_id, config):
        self.trial_id, self.config = trial_id, config


def test_study_notes_count_the_finished_trials_of_the_sweep(tmp_path):
    base = load_config(CONFIGS / "mini-study-base.yaml", [f"store={tmp_path / 'r.sqlite'}"])
    trials = [_Trial(name, base) for name in ("a", "b", "c")]
    assert study_notes(base, trials)["trials"].startswith("0 of the sweep's 3 trials finished")
    with ResultStore(tmp_path / "r.sqlite") as store:
        dropping = PhaseRecord("k1", "target", "xquad", True, "done", 1.0,
                               meta={"overlap_dropped": {"squad:dev[5021:5371] (en)": 37}})
        store.record(TrialResult("a", {"intermediate_task": "none"}, "done", phases=[dropping]))
        store.record(TrialResult("b", {"intermediate_task": "sst2"}, "failed"))  # not finished: rerun resumes it
        store.mark_running("c", {"intermediate_task": "sst2"})
    notes = study_notes(base, trials)
    assert notes["trials"].startswith("1 of the sweep's 3 trials finished")
    assert notes["data_per_phase"]["intermediate"].startswith("anli: dev[0:600]")
    assert notes["overlap_dropped"].endswith("squad:dev[5021:5371] (en): 37")
    assert "other_trials" not in notes  # every finished trial is one of the sweep's
    with ResultStore(tmp_path / "r.sqlite") as store:  # e.g. the same study run from another folder
        store.record(TrialResult("z", {"intermediate_task": "none"}, "done"))
    notes = study_notes(base, trials)
    assert notes["trials"].startswith("1 of the sweep's 3 trials finished")
    assert notes["other_trials"].startswith("the store also holds 1 finished trial(s) this sweep file does not produce")
