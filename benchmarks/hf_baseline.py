"""The Hugging Face ``Trainer`` baseline, configured as HF's example scripts configure it.

Padding follows each script's default: ``run_xnli.py`` (sentence pairs) has
``pad_to_max_length=True``, so every row is padded to ``max_seq_length`` once at tokenization
and batches are stacked by ``default_data_collator``; ``run_ner.py`` (tagging) has
``pad_to_max_length=False`` and pads each batch to its longest row with
``DataCollatorForTokenClassification``. Both sample training batches at random (Trainer's
default sampler); neither groups by length.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from transformers import (
    DataCollatorForTokenClassification,
    PrinterCallback,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    default_data_collator,
)

from benchmarks.workloads import Geometry
from xstilts.train.flops import encoder_shape

LEARNING_RATE = 2e-5
WEIGHT_DECAY = 0.01
MAX_GRAD_NORM = 1.0


class StepClock(TrainerCallback):
    """Time at the end of every optimizer step (data loading of the next step comes after)."""

    def __init__(self) -> None:
        self.timestamps: list[float] = []

    def on_step_end(self, args, state, control, **kwargs):
        self.timestamps.append(time.perf_counter())


def padded_to_max_length(rows: Sequence[dict], tokenizer, max_length: int) -> list[dict]:
    """Every row padded to ``max_length`` up front, as run_xnli's tokenization does."""
    padded = tokenizer.pad(list(rows), padding="max_length", max_length=max_length)
    names = list(padded.keys())
    return [{name: padded[name][i] for name in names} for i in range(len(rows))]


def _pad_to_max_length(rows, tokenizer, max_length) -> tuple[list[dict], Callable]:
    return padded_to_max_length(rows, tokenizer, max_length), default_data_collator


def _pad_per_batch(rows, tokenizer, max_length) -> tuple[list[dict], Callable]:
    return list(rows), DataCollatorForTokenClassification(tokenizer)


# Task kind -> (the example script it follows, how that script pads).
PADDING_POLICIES: dict[str, tuple[str, Callable]] = {
    "pair_classification": ("run_xnli.py: pad_to_max_length=True", _pad_to_max_length),
    "classification": ("run_glue.py: pad_to_max_length=True", _pad_to_max_length),
    "tagging": ("run_ner.py: pad_to_max_length=False, DataCollatorForTokenClassification", _pad_per_batch),
}


def trainer_inputs(kind: str, rows: Sequence[dict], tokenizer, max_length: int) -> tuple[list[dict], Callable]:
    """Rows and collator the way the example script for ``kind`` prepares them."""
    return PADDING_POLICIES[kind][1](rows, tokenizer, max_length)


def _common_arguments(output_dir: Path) -> dict:
    return dict(
        output_dir=str(output_dir),
        report_to=[],
        save_strategy="no",
        logging_strategy="no",
        eval_strategy="no",
        dataloader_num_workers=0,
        disable_tqdm=True,
        use_cpu=not torch.cuda.is_available(),
        remove_unused_columns=False,  # rows hold model inputs only
    )


def trainer_step_times(
    model: torch.nn.Module, rows: list[dict], collator: Callable, geometry: Geometry, seed: int, output_dir: Path,
    bf16: bool = False,
) -> list[float]:
    """Train ``geometry.total_steps`` steps on batches sampled from ``rows``; the time at the end of each step.
    ``bf16``: Trainer's own bf16 mixed precision (autocast, on CPU too)."""
    clock = StepClock()
    args = TrainingArguments(
        bf16=bf16,
        per_device_train_batch_size=geometry.micro_batch_size,
        gradient_accumulation_steps=geometry.accumulation,
        max_steps=geometry.total_steps,
        learning_rate=LEARNING_RATE,
        weight_decay=WEIGHT_DECAY,
        max_grad_norm=MAX_GRAD_NORM,
        seed=seed,
        **_common_arguments(output_dir),
    )
    trainer = Trainer(model=model, args=args, train_dataset=rows, data_collator=collator, callbacks=[clock])
    trainer.remove_callback(PrinterCallback)  # with tqdm off it prints the run summary to stdout
    trainer.train()
    return clock.timestamps


def trainer_predictor(model: torch.nn.Module, batch_size: int, output_dir: Path) -> Trainer:
    """A Trainer for ``predict``; rows carry no labels, so the outputs are the logits alone."""
    args = TrainingArguments(per_device_eval_batch_size=batch_size, label_names=[], **_common_arguments(output_dir))
    trainer = Trainer(model=model, args=args, data_collator=default_data_collator)
    trainer.remove_callback(PrinterCallback)
    return trainer


def trainer_flops_per_example(model: torch.nn.Module, rows: Sequence[dict], collator: Callable, batch_size: int,
                              training: bool, draws: int = 400, seed: int = 0) -> float:
    """Model FLOPs per example of what the Trainer side computes: each row costs as much as the
    padded width of its batch. Batches are drawn at random as Trainer's sampler draws them
    (the mean over ``draws`` batches); for rows padded to the maximum length up front every batch
    has the same width, so the draw does not matter."""
    shape, generator = encoder_shape(model), np.random.default_rng(seed)
    total = 0.0
    for _ in range(draws):
        picked = generator.choice(len(rows), size=min(batch_size, len(rows)), replace=False)
        width = collator([rows[int(i)] for i in picked])["input_ids"].shape[1]
        total += shape.sequence_flops([width] * len(picked), training=training)
    return total / (draws * min(batch_size, len(rows)))


def work_ceiling(trainer_flops: float, real_flops: float) -> tuple[float, str]:
    """The Trainer side's model FLOPs per example over those of the real tokens alone: the speed-up a
    side with no padding at all gets from padding less, everything else equal (the rest must
    come from cheaper kernels or steps). The number and the sentence the figures print."""
    ratio = trainer_flops / real_flops
    return ratio, (f"work ceiling {ratio:.2f}× (Trainer's model FLOPs of its padded batches / those of the real "
                   f"tokens: what padding alone can buy)")
