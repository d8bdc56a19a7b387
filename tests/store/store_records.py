"""Hand-built TrialResults for the store tests: one intermediate trial, one baseline."""

from __future__ import annotations

from xstilts.results import CurvePoint, PhaseRecord, ScoreRow, Throughput, TrialResult


def throughput(examples_per_s: float, seconds: float) -> Throughput:
    return Throughput(examples_per_s=examples_per_s, real_tokens_per_s=examples_per_s * 20,
                      padded_tokens_per_s=examples_per_s * 32, steps_per_s=examples_per_s / 8, wall_s=seconds,
                      peak_memory_bytes=1 << 20, flops=1e12, mfu=None, examples=int(examples_per_s * seconds),
                      steps=int(examples_per_s * seconds / 8))


def phase(key, name, task, seconds=10.0, computed=True, status="done", rate=None, meta=None):
    return PhaseRecord(key=key, phase=name, task=task, computed=computed, status=status, seconds=seconds,
                       throughput=throughput(rate, seconds) if rate else None, meta=meta or {})


def scores(trial_language_values, task="xnli", selection="english_dev"):
    return [ScoreRow(task, lang, "accuracy", value, selection) for lang, value in trial_language_values]


def sst2_trial(trial_id="t-sst2", status="done", inter_seconds=7200.0) -> TrialResult:
    return TrialResult(
        trial_id=trial_id,
        params={"intermediate_task": "sst2", "batch_size": 16, "learning_rate": 3e-5, "seed": 1,
                "target_settings": "default"},
        status=status,
        phases=[
            phase("inter-A", "intermediate", "sst2", seconds=inter_seconds, rate=50.0),
            phase("target-A", "target", "xnli", seconds=100.0, rate=40.0),
            phase("zs-A", "zero_shot", "xnli", seconds=5.0, meta={"eval_examples": {"en": 300, "de": 250}}),
        ],
        scores=scores([("en", 80.0), ("de", 70.5)]) if status == "done" else [],
        curves=[CurvePoint("inter-A", 10, 0.9, None), CurvePoint("inter-A", 20, 0.6, 55.0)],
    )


def baseline_trial(trial_id="t-base") -> TrialResult:
    return TrialResult(
        trial_id=trial_id,
        params={"intermediate_task": "none", "batch_size": None, "learning_rate": None, "seed": 1},
        status="done",
        phases=[phase("target-B", "target", "xnli", rate=40.0),
                phase("zs-B", "zero_shot", "xnli", meta={"eval_examples": {"en": 300, "de": 250}})],
        scores=scores([("en", 78.0), ("de", 69.0)]),
    )
