import pytest
import torch

from xstilts.train.throughput import ThroughputMeter, count_flop_params
from xstilts.train.throughput import MeterTotals


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


def run_steps(meter, clock, durations, examples=8, real=50, padded=80, gap=0.0):
    for seconds in durations:
        meter.begin_step()
        clock.advance(seconds)
        meter.end_step(examples, real, padded)
        clock.advance(gap)  # evaluation/checkpoint time between steps


def test_rates_exclude_warmup_steps_and_time_between_steps():
    clock = FakeClock()
    meter = ThroughputMeter(flop_params=1000, warmup_steps=2, clock=clock, memory_probe=lambda: 7)
    run_steps(meter, clock, [5.0, 3.0, 0.5, 0.5, 1.0], gap=10.0)
    result = meter.result()
    # Timed: the last three steps, 2.0 s, 24 examples, 150 real and 240 padded tokens.
    assert result.steps_per_s == pytest.approx(3 / 2.0)
    assert result.examples_per_s == pytest.approx(24 / 2.0)
    assert result.real_tokens_per_s == pytest.approx(150 / 2.0)
    assert result.padded_tokens_per_s == pytest.approx(240 / 2.0)
    # Model FLOPs of the real tokens (padding is not model work); no layers given: no attention term.
    assert result.flops == pytest.approx(6 * 1000 * 150)
    assert result.flops_per_s == pytest.approx(6 * 1000 * 150 / 2.0)
    assert result.mfu is None and result.peak_flops_start is None
    # Whole phase: 10 s of steps + 5 gaps of 10 s; all five steps counted.
    assert result.wall_s == pytest.approx(60.0)
    assert (result.examples, result.steps, result.peak_memory_bytes) == (40, 5, 7)


def test_mfu_is_achieved_flops_over_peak():
    clock = FakeClock()
    meter = ThroughputMeter(flop_params=10, warmup_steps=0, peak_flops=1e4, clock=clock)
    run_steps(meter, clock, [2.0], real=100, padded=120)
    assert meter.result().mfu == pytest.approx((6 * 10 * 100 / 2.0) / 1e4)


def test_flops_add_the_attention_term_at_each_steps_mean_length():
    clock = FakeClock()
    meter = ThroughputMeter(flop_params=10, layers=2, hidden=4, warmup_steps=0, clock=clock)
    # Two steps: 4 sequences of mean length 10, then 2 of mean length 5.
    meter.begin_step(); clock.advance(1.0); meter.end_step(4, 40, 48)
    meter.begin_step(); clock.advance(1.0); meter.end_step(2, 10, 10)
    pairs = 4 * 10**2 + 2 * 5**2
    assert meter.result().flops == pytest.approx(6 * 10 * 50 + 12 * 2 * 4 * pairs)


def test_mfu_divides_by_the_mean_of_the_start_and_end_probes():
    clock = FakeClock()
    probes = iter([1e4, 3e4])
    meter = ThroughputMeter(flop_params=10, warmup_steps=0, peak_probe=lambda: next(probes), clock=clock)
    run_steps(meter, clock, [2.0], real=100)
    result = meter.result()
    assert (result.peak_flops_start, result.peak_flops_end) == (1e4, 3e4)
    assert result.mfu == pytest.approx(3000 / 2e4)
    assert meter.result().peak_flops_end == 3e4  # asked again: the machine is not probed again


def test_a_given_peak_is_used_instead_of_probing():
    def probe():
        raise AssertionError("probed although peak_flops was given")

    meter = ThroughputMeter(flop_params=10, warmup_steps=0, peak_flops=1e4, peak_probe=probe, clock=FakeClock())
    assert meter.result().peak_flops_start is None


def test_a_resumed_phase_keeps_its_first_start_probe():
    clock = FakeClock()
    first = ThroughputMeter(flop_params=1, warmup_steps=0, peak_probe=lambda: 5.0, clock=clock)
    run_steps(first, clock, [1.0])
    carried = MeterTotals.from_dict(first.carry().to_dict())
    second = ThroughputMeter(flop_params=1, warmup_steps=0, peak_probe=lambda: 9.0, clock=clock, carried=carried)
    assert (second.result().peak_flops_start, second.result().peak_flops_end) == (5.0, 9.0)


def test_checkpoints_from_before_the_probe_still_load():
    old = {"timed": {"steps": 1, "seconds": 1.0, "examples": 2, "real_tokens": 3, "padded_tokens": 4},
           "every": {"steps": 1, "seconds": 1.0, "examples": 2, "real_tokens": 3, "padded_tokens": 4},
           "wall_s": 2.0, "peak_memory_bytes": 1}
    totals = MeterTotals.from_dict(old)
    assert totals.peak_flops_start is None and totals.timed.token_pairs == 0.0


def test_phase_shorter_than_warmup_is_timed_over_all_its_steps():
    clock = FakeClock()
    meter = ThroughputMeter(flop_params=1, warmup_steps=5, clock=clock)
    run_steps(meter, clock, [1.0, 3.0])
    assert meter.result().steps_per_s == pytest.approx(2 / 4.0)


def test_peak_memory_is_the_maximum_probe_reading():
    clock = FakeClock()
    readings = iter([30, 90, 40])
    meter = ThroughputMeter(flop_params=1, warmup_steps=0, clock=clock, memory_probe=lambda: next(readings))
    run_steps(meter, clock, [1.0, 1.0, 1.0])
    assert meter.result().peak_memory_bytes == 90


def test_carried_totals_continue_a_resumed_phase_with_its_own_warmup():
    clock = FakeClock()
    first = ThroughputMeter(flop_params=1, warmup_steps=1, clock=clock, memory_probe=lambda: 5)
    run_steps(first, clock, [9.0, 1.0, 1.0])
    carried = MeterTotals.from_dict(first.carry().to_dict())  # the JSON round trip a checkpoint makes
    second = ThroughputMeter(flop_params=1, warmup_steps=1, clock=clock, memory_probe=lambda: 3, carried=carried)
    run_steps(second, clock, [7.0, 2.0])
    result = second.result()
    # Timed: 1+1 from the first call, 2 from the second (its first step is its own warm-up).
    assert result.steps_per_s == pytest.approx(3 / 4.0)
    assert result.wall_s == pytest.approx(20.0)
    assert (result.steps, result.examples, result.peak_memory_bytes) == (5, 40, 5)


def test_end_step_without_begin_is_an_error():
    meter = ThroughputMeter(flop_params=1, warmup_steps=0, clock=FakeClock())
    with pytest.raises(RuntimeError):
        meter.end_step(1, 1, 1)


def test_flop_params_leave_out_embedding_tables():
    model = torch.nn.Sequential(torch.nn.Embedding(100, 4), torch.nn.Linear(4, 3))
    assert count_flop_params(model) == 4 * 3 + 3
