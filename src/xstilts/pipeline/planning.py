"""What a trial will compute, by content address, without running anything.

`xstilts run --dry-run` and the sweep planner use this: two trials listing the same key share
that phase; a key whose DONE.json exists is already computed. A sweep that keeps no trained
models deletes a phase's folder here once no unfinished trial lists its key.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from xstilts.config import RunConfig
from xstilts.data.splits import SplitRef, read_split
from xstilts.pipeline.phases import base_key, intermediate_key, target_key
from xstilts.pipeline.trial import PhasePlan
from xstilts.tasks.registry import get_task


def _train_examples(ref: SplitRef, data_dir: Path, cap: int | None) -> int:
    spec = get_task(ref.task)
    langs = spec.split_languages(ref.split)
    lang = "en" if "en" in langs else langs[0]
    n = len(ref.lines(len(read_split(spec, data_dir, ref.split, lang))))
    return min(n, cap) if cap else n


def _done(work_dir: Path, phase: str, key: str) -> bool:
    return (work_dir / phase / key / "DONE.json").is_file()


def plan_phases(config: RunConfig) -> list[PhasePlan]:
    data_dir, work_dir, source = config.resolved_data_dir(), Path(config.work_dir), config.model.source
    plans: list[PhasePlan] = []
    encoder_key = base_key(config)
    inter = config.intermediate
    if inter.task != "none":
        encoder_key = intermediate_key(config, encoder_key)
        ref = SplitRef.parse(inter.train_split, inter.task, "intermediate.train_split")
        n = _train_examples(ref, data_dir, inter.train.max_train_examples)
        plans.append(PhasePlan(encoder_key, "intermediate", inter.task, _done(work_dir, "intermediate", encoder_key),
                               n * inter.train.epochs, inter.train.batch_size, inter.max_length, source))
    for task, cfg in config.targets.items():
        spec = get_task(task)
        if spec.kind == "retrieval":
            plans.append(PhasePlan(f"retrieval:{encoder_key}:{task}", "retrieval", task, False, 0, 0, cfg.max_length, source))
            continue
        if cfg.model_from:
            continue  # evaluated with another target's model: nothing to train
        key = target_key(config, task, encoder_key)
        ref = SplitRef.parse(cfg.train_split or spec.english_train, task, f"targets.{task}.train_split")
        n = _train_examples(ref, data_dir, cfg.train.max_train_examples)
        plans.append(PhasePlan(key, "target", task, _done(work_dir, "target", key), n * cfg.train.epochs,
                               cfg.train.batch_size, cfg.max_length, source))
    return plans


TRAINED_PHASES = ("intermediate", "target")  # the phases whose folders hold model weights


def discard_trained_phase(config: RunConfig, plan: PhasePlan) -> None:
    """Delete a trained phase's folder (weights, checkpoints, DONE.json); a later trial listing
    its key computes it again. The folder is first renamed out of its content address, so a kill
    midway never leaves a DONE.json beside half-deleted weights."""
    if plan.phase not in TRAINED_PHASES:
        return  # predictions and retrieval scores are small and stay
    folder = Path(config.work_dir) / plan.phase / plan.key
    for leftover in folder.parent.glob(".discarded-*"):  # from a run killed while deleting
        shutil.rmtree(leftover, ignore_errors=True)
    if not folder.is_dir():
        return
    doomed = folder.with_name(f".discarded-{folder.name}-{os.getpid()}")
    os.replace(folder, doomed)
    shutil.rmtree(doomed, ignore_errors=True)
