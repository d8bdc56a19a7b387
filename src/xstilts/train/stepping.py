"""One optimizer step: accumulate gradients over micro-batches, check, clip, update.

Accumulation is done here rather than by Accelerator's counter because a step's size is not
fixed: an epoch's last step may be short, and an out-of-memory retry re-splits the same examples
into twice as many chunks. Each chunk's mean loss is weighted by its share of the step's examples
(times the process count, which DDP's gradient averaging divides out), so the update equals one
pass over the whole effective batch however the examples are chunked or spread over processes.
"""

from __future__ import annotations

import contextlib
import logging
import math
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable, Sequence

import torch
from accelerate import Accelerator
from accelerate.utils import send_to_device

from xstilts.train.batching import StepBatch, chunk
from xstilts.train.rng import capture_rng, restore_rng
from xstilts.train.state import RunState

log = logging.getLogger(__name__)


@dataclass
class StepResult:
    loss: float  # mean training loss of the step over all processes
    real_tokens: int  # over all processes
    padded_tokens: int
    grad_norm: float | None  # before clipping; None when clipping is off

    @property
    def finite(self) -> bool:
        return math.isfinite(self.loss) and (self.grad_norm is None or math.isfinite(self.grad_norm))


def count_tokens(batch: dict[str, Any]) -> tuple[int, int]:
    """(real, padded) tokens of a batch: real ones are where attention_mask is 1."""
    mask, ids = batch.get("attention_mask"), batch.get("input_ids")
    shape_source = mask if mask is not None else ids
    padded = shape_source.numel() if shape_source is not None else 0
    real = int(mask.sum()) if mask is not None else padded
    return real, padded


@dataclass
class StepRunner:
    accelerator: Accelerator
    model: torch.nn.Module  # as prepared by the accelerator (DDP-wrapped when distributed)
    optimizer: torch.optim.Optimizer
    scheduler: Any
    dataset: Sequence[dict]
    collate_fn: Callable[[list[dict]], dict]
    max_grad_norm: float | None
    # bf16 autocast around the forward pass, on the accelerator's device (GPU or CPU). Done here
    # rather than through accelerate's mixed_precision, whose process-wide state cannot change
    # between phases of one process (nor between a GPU phase and a CPU-only test in one worker).
    bf16: bool = False
    micro_batch_tokens: int | None = None  # TrainSettings.micro_batch_tokens

    def run(self, batch: StepBatch, state: RunState) -> StepResult:
        """Train one step; on a non-finite loss or gradient, leave the weights untouched."""
        loss, real, padded = self._accumulate_with_oom_retry(batch, state)
        totals = self.accelerator.reduce(torch.stack([loss, real, padded]), reduction="sum")
        result = StepResult(totals[0].item(), int(totals[1].item()), int(totals[2].item()), None)
        if result.finite and self.max_grad_norm:
            norm = self.accelerator.clip_grad_norm_(self.model.parameters(), self.max_grad_norm)
            result.grad_norm = float(norm)
        if result.finite:
            self.optimizer.step()
            self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return result

    def _accumulate_with_oom_retry(self, batch: StepBatch, state: RunState):
        rng_at_start = capture_rng()  # a retry must see the same dropout masks as a clean run
        while True:
            try:
                return self.accumulate_gradients(batch, state.micro_batch_size)
            except torch.cuda.OutOfMemoryError:
                if state.micro_batch_size == 1:
                    raise
            # Outside the except block, so the traceback's tensors are released before retrying.
            self.optimizer.zero_grad(set_to_none=True)
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            _halve_micro_batch(state, batch)
            self.micro_batch_tokens = None  # a merged pass may be what ran out of memory
            restore_rng(rng_at_start)

    def accumulate_gradients(self, batch: StepBatch, chunk_size: int):
        """Forward/backward over the step's examples in chunks of ``chunk_size``; (loss, real, padded) tensors."""
        chunks = [piece for micro in batch.micro_batches for piece in chunk(micro, chunk_size)]
        if self.micro_batch_tokens and len(chunks) > 1:
            chunks = self._merged(chunks)
        device = self.accelerator.device
        loss_sum = torch.zeros((), device=device)
        real = padded = 0
        for position, indices in enumerate(chunks):
            collated = self.collate_fn([self.dataset[i] for i in indices])
            chunk_real, chunk_padded = count_tokens(collated)  # on the host: no device sync mid-step
            inputs = send_to_device(collated, device)
            real, padded = real + chunk_real, padded + chunk_padded
            share = len(indices) / batch.global_examples
            # Gradients are all-reduced on the step's last chunk only.
            last = position == len(chunks) - 1
            with contextlib.nullcontext() if last else self.accelerator.no_sync(self.model):
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=self.bf16):
                    loss = self.model(**inputs).loss
                self.accelerator.backward(loss * (share * self.accelerator.num_processes))
            loss_sum += loss.detach().float() * share
        as_tensor = torch.tensor([real, padded], dtype=torch.float64, device=device)
        return loss_sum.double(), as_tensor[0], as_tensor[1]


    def _merged(self, chunks: list[list[int]]) -> list[list[int]]:
        """Consecutive chunks joined while their collated input stays within the token budget.
        Each pass has a fixed cost (12 layers of small kernels), which dominates for short
        sentences: 16 PAN-X sentences of ~12 tokens cost little more than 8."""
        merged = [chunks[0]]
        for piece in chunks[1:]:
            candidate = merged[-1] + piece
            if self.collate_fn([self.dataset[i] for i in candidate])["input_ids"].numel() <= self.micro_batch_tokens:
                merged[-1] = candidate
            else:
                merged.append(piece)
        return merged


def _halve_micro_batch(state: RunState, batch: StepBatch) -> None:
    state.micro_batch_size //= 2
    chunks = sum(math.ceil(len(micro) / state.micro_batch_size) for micro in batch.micro_batches)
    state.meta.setdefault("oom_halvings", []).append(
        {"step": state.step + 1, "micro_batch_size": state.micro_batch_size, "accumulation_steps": chunks}
    )
    log.warning(
        "out of memory at step %d: micro-batch now %d, %d chunks per step",
        state.step + 1,
        state.micro_batch_size,
        chunks,
    )
