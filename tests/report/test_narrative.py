"""The generated answer must follow the numbers: known-truth studies, checked wording."""

import pytest

from report_fixtures import FAST_RESAMPLES
from synthetic_frames import SyntheticTruth, synthetic_results_frame
from xstilts.analysis.study import analyse_study
from xstilts.report.narrative import data_answer, headline


def answer_for(truth: SyntheticTruth, **notes) -> str:
    frame = synthetic_results_frame(truth, seeds=tuple(range(5)))
    return " ".join(headline(analyse_study(frame, n_resamples=FAST_RESAMPLES), notes))


def test_a_batch_size_confound_is_attributed_to_the_settings():
    truth = SyntheticTruth(task_effects={"mnli": 1.0, "squad": 2.0}, gain_per_log2_batch=1.0,
                           throughput_per_log2_batch=0.5)
    answer = answer_for(truth)
    assert "Across 120 finished trials" in answer
    assert "the raw association comes from the settings" in answer
    slope = answer.split("the XTREME gain changes by ")[1].split(" points per doubling")[0]
    estimate, low, high = (float(v) for v in slope.replace("[", "").replace("]", "").replace(",", "").split())
    assert low < 1.0 < high and estimate == pytest.approx(1.0, abs=0.2)


def test_speed_that_transfers_at_fixed_settings_is_reported():
    truth = SyntheticTruth(task_effects={"mnli": 1.0, "squad": 1.0}, gain_per_throughput_sd=0.8, gain_noise_sd=0.6,
                           throughput_per_log2_batch=0.0)
    assert "even at the same batch size, learning rate and task, faster runs transfer better" in answer_for(truth)


def test_no_link_is_reported_as_such():
    truth = SyntheticTruth(task_effects={"mnli": 1.0, "squad": 1.0}, throughput_per_log2_batch=0.0)
    assert "no clear link between training speed and transfer" in answer_for(truth)


def test_few_seeds_are_flagged():
    frame = synthetic_results_frame(seeds=(0, 1, 2))
    answer = " ".join(headline(analyse_study(frame, n_resamples=FAST_RESAMPLES), {}))
    assert "at most 3 seeds" in answer


def test_data_per_phase_is_stated_only_when_given():
    assert data_answer({}) is None
    assert data_answer({"data_per_phase": "the full English training sets"}) == (
        "Data seen per phase — the full English training sets.")
    assert data_answer({"data_per_phase": {"intermediate": 2000, "target": "500 examples"}}) == (
        "Data seen per phase — intermediate: 2000; target: 500 examples.")


def test_the_answer_says_how_much_faster_bigger_batches_ran():
    # examples/s ∝ batch ** 0.5: each doubling multiplies throughput by sqrt(2).
    truth = SyntheticTruth(gain_per_log2_batch=1.0, throughput_per_log2_batch=0.5, throughput_noise_sd=0.1)
    frame = synthetic_results_frame(truth, seeds=(0, 1, 2))
    analysis = analyse_study(frame, n_resamples=FAST_RESAMPLES)
    speedup = analysis.batch_speedup
    assert speedup.ci_low < 2 ** 0.5 < speedup.ci_high and speedup.ci_high - speedup.ci_low < 0.1
    assert "Bigger batches ran faster: each doubling of the batch size multiplied examples/s by ×1.4" in (
        " ".join(headline(analysis, {})))


def test_the_spread_of_throughput_across_seeds_is_stated():
    truth = SyntheticTruth(throughput_per_log2_batch=0.5, throughput_noise_sd=0.1)
    analysis = analyse_study(synthetic_results_frame(truth, seeds=(0, 1, 2, 3, 4)), n_resamples=FAST_RESAMPLES)
    spread = analysis.repeatability
    assert spread.n_settings == len(analysis.gains) // 5  # every setting ran 5 seeds
    assert spread.median_cv == pytest.approx(0.1, abs=0.03)  # lognormal noise of SD 0.1
    assert f"differed between seeds by a median {spread.median_cv:.1%}" in " ".join(headline(analysis, {}))


def test_throughput_scaled_by_the_machine_probe_is_reported_beside_the_raw_rate():
    """A seed run on a machine at half speed halves its raw examples/s; the probe-scaled rate and
    the raw rate are both correlated, and the answer says which is which."""
    truth = SyntheticTruth(task_effects={"mnli": 1.0}, gain_per_throughput_sd=0.8, throughput_per_log2_batch=0.0)
    frame = synthetic_results_frame(truth, seeds=tuple(range(5)))
    slow = frame["seed"] == 0
    frame["peak_flops_start"] = frame["peak_flops_end"] = 1e12
    frame.loc[slow, ["peak_flops_start", "peak_flops_end"]] = 0.5e12
    frame.loc[slow, "examples_per_s"] /= 2
    analysis = analyse_study(frame, n_resamples=FAST_RESAMPLES)
    measures = set(analysis.correlations["measure"])
    assert {"examples_per_s", "examples_per_s_at_reference"} <= measures
    answer = " ".join(headline(analysis, {}))
    assert "Scaled to one machine speed (examples/s at the median matmul probe of 60 trials)" in answer
    unprobed = " ".join(headline(analyse_study(synthetic_results_frame(truth, seeds=tuple(range(5))),
                                               n_resamples=FAST_RESAMPLES), {}))
    assert "carry no machine-speed probe" in unprobed
