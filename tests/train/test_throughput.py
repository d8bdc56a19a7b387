import pytest
import torch

from xstilts.train import ThroughputMeter, count_flop_params
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
    assert result.flops == pytest.approx(6 * 1000 * 240)
    assert result.mfu is None
    # Whole phase: 10 s of steps + 5 gaps of 10 s; all five steps counted.
    assert result.wall_s == pytest.approx(60.0)
    assert (result.examples, result.steps, result.peak_memory_bytes) == (40, 5, 7)


def test_mfu_is_achieved_flops_over_peak():
    clock = FakeClock()
    meter = ThroughputMeter(flop_params=10, warmup_steps=0, peak_flops=1e4, clock=clock)
    run_steps(meter, clock, [2.0], padded=100)
    assert meter.result().mfu == pytest.approx((6 * 10 * 100 / 2.0) / 1e4)


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
