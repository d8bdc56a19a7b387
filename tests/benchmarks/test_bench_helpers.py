"""The counting helpers behind the padding and sweep-reuse figures, and the workload sizes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from benchmarks.padding import max_length_waste, padding_waste, random_batches
from benchmarks.stats import MIN_REPETITIONS
from benchmarks.sweep_reuse import intermediate_examples
from benchmarks.timing import timed_rate
from benchmarks.workloads import SCALES, Geometry
from xstilts.sweep.plan import DefaultRate, plan_sweep
from xstilts.sweep.trials import Trial


def test_padding_waste_counts_pad_tokens_over_real_tokens():
    lengths = [10, 8, 3, 3]
    # Batch [0, 1] pads to 2 x 10 = 20 for 18 real; batch [2, 3] has no padding: 26 / 24 - 1.
    assert padding_waste([[0, 1], [2, 3]], lengths) == pytest.approx(26 / 24 - 1)
    assert padding_waste([[0, 2], [1, 3]], lengths) == pytest.approx((20 + 16) / 24 - 1)


def test_random_batches_cover_every_index_once():
    batches = random_batches(10, 3, seed=5)
    assert sorted(i for batch in batches for i in batch) == list(range(10))
    assert [len(batch) for batch in batches] == [3, 3, 3, 1]


def test_max_length_waste():
    assert max_length_waste([32, 64], 128) == pytest.approx(256 / 96 - 1)


@dataclass(frozen=True)
class FakePhase:
    key: str
    phase: str
    task: str
    train_examples: int
    done: bool = False
    batch_size: int = 16
    max_length: int = 128


def _trial(trial_id: str, target: str, intermediate_key: str = "inter-A") -> Trial:
    phases = (
        FakePhase(intermediate_key, "intermediate", "sst2", 2000),
        FakePhase(f"t-{target}", "target", target, 500),
    )
    return Trial(trial_id=trial_id, overrides=(), params={}, phases=phases)


def test_intermediate_examples_count_a_shared_phase_once():
    plan = plan_sweep([_trial("1", "pawsx"), _trial("2", "panx"), _trial("3", "xnli")], DefaultRate())
    assert intermediate_examples(plan) == (2000, 6000)


def test_intermediate_examples_count_distinct_phases_separately():
    trials = [_trial("1", "pawsx"), _trial("2", "panx", intermediate_key="inter-B")]
    assert intermediate_examples(plan_sweep(trials, DefaultRate())) == (4000, 4000)


def test_geometry_sizes():
    geometry = Geometry(batch_size=32, micro_batch_size=8, warmup_steps=2, timed_steps=10)
    assert (geometry.accumulation, geometry.total_steps) == (4, 12)


def test_timed_rate_leaves_out_warmup_steps_and_checks_the_step_count():
    geometry = Geometry(batch_size=4, micro_batch_size=4, warmup_steps=2, timed_steps=2)
    assert timed_rate([1.0, 3.0, 4.0, 5.0], geometry, per_step=4) == 4.0  # 8 examples in 2 s
    with pytest.raises(RuntimeError, match="expected 4"):
        timed_rate([1.0, 3.0, 4.0], geometry, per_step=4)


@pytest.mark.parametrize("name", sorted(SCALES))
def test_every_scale_repeats_enough_and_fits_the_bare_loop(name):
    scale = SCALES[name]
    assert scale.repetitions >= MIN_REPETITIONS
    assert scale.overhead.accumulation == 1  # the bare loop does not accumulate
    assert all(g.warmup_steps >= 1 and g.batch_size % g.micro_batch_size == 0 for g in scale.training.values())
