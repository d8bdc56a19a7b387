"""From the store to the analysis: what a recorded trial carries reaches the report's numbers.

The machine-speed probes and MFU of an intermediate phase, the fixed-steps arm of a sweep and
the trivial-predictor scores are recorded by the pipeline; these tests record them through the
real ResultStore and read them back through the results frame and the analysis.
"""

from __future__ import annotations

import pytest

from xstilts.analysis.frame import FIXED_EPOCHS, FIXED_STEPS, TRIVIAL_SELECTION
from xstilts.analysis.study import analyse_study
from xstilts.results import PhaseRecord, ScoreRow, Throughput, TrialResult
from xstilts.store.sqlite import ResultStore


def probed(rate: float, peak: float) -> Throughput:
    return Throughput(examples_per_s=rate, real_tokens_per_s=rate * 20, padded_tokens_per_s=rate * 32,
                      steps_per_s=rate / 8, wall_s=100.0, peak_memory_bytes=1 << 20, flops=1e12, mfu=0.25,
                      examples=int(rate * 100), steps=int(rate * 100 / 8), flops_per_s=1e10,
                      peak_flops_start=peak, peak_flops_end=peak * 1.1)


def trial(trial_id: str, task: str, seed: int, batch: int | None, scores: dict[str, float],
          max_steps: int | None = None, trivial: float = 50.0) -> TrialResult:
    grid = {"intermediate.task": task, "seed": seed}
    if max_steps is not None:
        grid["intermediate.train.max_steps"] = max_steps
    phases = [PhaseRecord("tgt-" + trial_id, "target", "xnli", True, "done", 10.0)]
    if task != "none":
        phases.insert(0, PhaseRecord("int-" + trial_id, "intermediate", task, True, "done", 360.0,
                                     throughput=probed(10.0 * batch, 1e12 * (1 + seed))))
    rows = [ScoreRow("xnli", lang, "accuracy", value) for lang, value in scores.items()]
    rows += [ScoreRow("xnli", lang, "accuracy", trivial, TRIVIAL_SELECTION) for lang in scores]
    return TrialResult(trial_id=trial_id, status="done", phases=phases, scores=rows,
                       params={"intermediate_task": task, "batch_size": batch, "learning_rate": 1e-5 if batch else None,
                               "seed": seed, "target_settings": "default", "grid": grid})


@pytest.fixture
def frame(tmp_path):
    with ResultStore(tmp_path / "results.sqlite") as store:
        for seed in (0, 1):
            store.record(trial(f"base{seed}", "none", seed, None, {"en": 60.0 + seed, "de": 55.0}))
            for batch in (8, 16, 32):
                store.record(trial(f"sst2-{seed}-{batch}", "sst2", seed, batch,
                                   {"en": 60.0 + seed + batch / 16, "de": 55.0 + batch / 32}))
            store.record(trial(f"steps-{seed}", "sst2", seed, 16, {"en": 62.0 + seed, "de": 56.0}, max_steps=40))
        return store.results_frame()


def test_probe_columns_reach_the_results_frame(frame):
    row = frame[frame["trial_id"] == "sst2-1-16"].iloc[0]
    assert row["mfu"] == pytest.approx(0.25)
    assert (row["peak_flops_start"], row["peak_flops_end"]) == (pytest.approx(2e12), pytest.approx(2.2e12))
    assert frame.loc[frame["trial_id"] == "base0", ["mfu", "peak_flops_start"]].isna().all().all()


def test_probe_normalised_throughput_reaches_the_correlations(frame):
    analysis = analyse_study(frame, n_resamples=50)
    assert {"examples_per_s", "examples_per_s_at_reference", "mfu"} <= set(analysis.correlations["measure"])
    assert "examples_per_s_at_reference" in set(analysis.setting_correlations["measure"])


def test_the_fixed_steps_arm_and_trivial_rows_come_through_the_store(frame):
    trials = frame.drop_duplicates("trial_id").set_index("trial_id")
    assert trials.loc["steps-0", "max_steps"] == 40 and trials["max_steps"].notna().sum() == 2
    analysis = analyse_study(frame, n_resamples=50)
    arms = analysis.trials.set_index("trial_id")["arm"]
    assert arms["steps-1"] == FIXED_STEPS and arms["sst2-1-8"] == FIXED_EPOCHS
    margin = analysis.trivial.set_index("target_task").loc["xnli"]
    assert margin["mean"] == pytest.approx((60 + 55 + 61 + 55) / 4 - 50.0)  # baseline mean - trivial
    assert analysis.apart == [] and TRIVIAL_SELECTION not in set(analysis.cells["selection"])
