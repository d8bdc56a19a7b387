"""Synthetic results frames with a known truth, for the analysis and report tests.

Valid per validate_results_frame: one baseline per seed; trial gains follow a SyntheticTruth
(batch-size and learning-rate effects, noise, throughput), so tests can check that the
analysis recovers what was put in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from xstilts.analysis.frame import (BASELINE_TASK, CURVE_COLUMNS, OPTIONAL_COLUMNS, PROBE_COLUMNS, RESULT_COLUMNS,
                                    THROUGHPUT_COLUMNS, trial_table)


@dataclass(frozen=True)
class SyntheticTruth:
    """How a synthetic trial's gain (score points over its seed's baseline) is generated.

    gain = task_effect + a*log2(batch) + b*log10(lr) + c*z + noise, where z is the standardised
    part of log-throughput that batch size does not explain. Throughput itself is
    examples/s = 50 * batch**throughput_per_log2_batch * exp(throughput_noise_sd * z).
    """

    task_effects: Mapping[str, float] = field(default_factory=lambda: {"mnli": 1.0, "squad": 2.0})
    gain_per_log2_batch: float = 0.0
    gain_per_log10_lr: float = 0.0
    gain_per_throughput_sd: float = 0.0
    gain_noise_sd: float = 1.0
    cell_noise_sd: float = 0.0  # independent noise per (target task, language) score
    throughput_per_log2_batch: float = 0.5
    throughput_noise_sd: float = 0.1
    oracle_bonus: float = 1.0  # target-dev selection adds this to every score


# Every synthetic score's sampling error (points), against the seed shifts' SD of 2.0 per cell.
SAMPLING_SE = 1.5
DEFAULT_TARGET_LANGUAGES = {"xnli": ("en", "de", "sw"), "pawsx": ("en", "de", "ja")}
_TOKENS_PER_EXAMPLE = 40.0
_INTERMEDIATE_EXAMPLES = 20_000.0


def _synthetic_trials(truth: SyntheticTruth, grid: dict, rng: np.random.Generator) -> pd.DataFrame:
    combos = [(task, b, lr, s) for task in truth.task_effects for b in grid["batch_sizes"]
              for lr in grid["learning_rates"] for s in grid["seeds"]]
    trials = pd.DataFrame(combos, columns=["intermediate_task", "batch_size", "learning_rate", "seed"])
    z = rng.standard_normal(len(trials))
    log2_batch = np.log2(trials["batch_size"].to_numpy(float))
    trials["examples_per_s"] = 50.0 * 2 ** (truth.throughput_per_log2_batch * log2_batch) * np.exp(
        truth.throughput_noise_sd * z)
    # Tasks differ in example length, so tokens/s is not just a rescaled examples/s.
    tokens = {task: _TOKENS_PER_EXAMPLE * (1 + i) for i, task in enumerate(truth.task_effects)}
    trials["real_tokens_per_s"] = trials["examples_per_s"] * trials["intermediate_task"].map(tokens)
    trials["device_hours"] = _INTERMEDIATE_EXAMPLES / trials["examples_per_s"] / 3600.0
    trials["gain"] = (trials["intermediate_task"].map(truth.task_effects)
                      + truth.gain_per_log2_batch * log2_batch
                      + truth.gain_per_log10_lr * np.log10(trials["learning_rate"].to_numpy(float))
                      + truth.gain_per_throughput_sd * z
                      + truth.gain_noise_sd * rng.standard_normal(len(trials)))
    trials["trial_id"] = [f"t{i:04d}" for i in range(len(trials))]
    trials["status"] = "done"
    return trials


def _mark_unfinished(trials: pd.DataFrame, n_diverged: int, n_failed: int, rng) -> None:
    picked = rng.choice(len(trials), size=n_diverged + n_failed, replace=False)
    trials.loc[trials.index[picked[:n_diverged]], "status"] = "diverged"
    failed = trials.index[picked[n_diverged:]]
    trials.loc[failed, "status"] = "failed"
    trials.loc[failed, list(THROUGHPUT_COLUMNS)] = np.nan  # a failed run measured nothing


def _baselines(seeds) -> pd.DataFrame:
    return pd.DataFrame({
        "trial_id": [f"baseline-s{s}" for s in seeds], "intermediate_task": BASELINE_TASK,
        "batch_size": np.nan, "learning_rate": np.nan, "seed": list(seeds), "status": "done",
        "gain": 0.0, **{column: np.nan for column in THROUGHPUT_COLUMNS}})


def _score_rows(trials: pd.DataFrame, languages: Mapping[str, tuple], truth: SyntheticTruth, rng):
    base = {(t, lang): rng.uniform(40, 80) for t, langs in languages.items() for lang in langs}
    # Shared by every trial of a seed, so pairing with the same-seed baseline cancels it.
    seed_shift = {(s, cell): rng.normal(0, 2.0) for s in trials["seed"].unique() for cell in base}
    rows = []
    for trial in trials.to_dict("records"):
        finished = trial["status"] == "done"
        for (task, lang), score in base.items():
            noise = 0.0 if trial["intermediate_task"] == BASELINE_TASK else rng.normal(0, truth.cell_noise_sd)
            value = score + seed_shift[(trial["seed"], (task, lang))] + trial["gain"] + noise
            for selection, bonus in (("english_dev", 0.0), ("target_dev", truth.oracle_bonus)):
                rows.append({**trial, "target_task": task, "language": lang, "selection": selection,
                             "metric": "accuracy", "score": value + bonus if finished else np.nan})
    return rows


def synthetic_results_frame(truth: SyntheticTruth | None = None, *, batch_sizes=(8, 16, 32, 64),
                            learning_rates=(1e-5, 3e-5, 1e-4), seeds=(0, 1, 2),
                            target_languages: Mapping[str, tuple] | None = None,
                            n_diverged: int = 0, n_failed: int = 0, rng_seed: int = 0) -> pd.DataFrame:
    """A valid results frame whose gains follow ``truth`` (one baseline per seed).

    Diverged and failed trials keep their rows with NaN scores, as the store records them.
    """
    truth = truth or SyntheticTruth()
    rng = np.random.default_rng(rng_seed)
    grid = {"batch_sizes": batch_sizes, "learning_rates": learning_rates, "seeds": seeds}
    trials = _synthetic_trials(truth, grid, rng)
    _mark_unfinished(trials, n_diverged, n_failed, rng)
    trials = pd.concat([_baselines(seeds), trials], ignore_index=True)
    rows = _score_rows(trials, target_languages or DEFAULT_TARGET_LANGUAGES, truth, rng)
    frame = pd.DataFrame(rows).drop(columns="gain")
    frame["target_settings"] = "default"
    frame["n_examples"] = 100
    frame["sampling_se"] = SAMPLING_SE
    for column in PROBE_COLUMNS:  # no machine-speed probe: the raw rates are the only ones
        frame[column] = np.nan
    return frame.loc[:, [*RESULT_COLUMNS, *OPTIONAL_COLUMNS]]


def synthetic_curves_frame(frame: pd.DataFrame, steps: int = 6, rng_seed: int = 0) -> pd.DataFrame:
    """Training curves for every trial of ``frame``: loss falls, dev score rises; diverged blow up."""
    rng = np.random.default_rng(rng_seed)
    rows = []
    for trial in trial_table(frame).to_dict("records"):
        blows_up = trial["status"] == "diverged"
        for step in range(0, steps * 100, 100):
            loss = 1.2 * np.exp(-step / 250) + 0.3 + rng.normal(0, 0.02)
            rows.append({"trial_id": trial["trial_id"], "phase_key": f"{trial['trial_id']}/target",
                         "step": step, "train_loss": loss * (1 + step / 50) if blows_up else loss,
                         "dev_score": 80 - 40 * np.exp(-step / 200) + rng.normal(0, 0.5)})
    return pd.DataFrame(rows, columns=list(CURVE_COLUMNS))
