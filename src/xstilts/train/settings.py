"""TrainSettings: the knobs of one training phase, validated once, described for the CLI."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from xstilts.errors import ConfigError

# Fields that change neither the weights nor the curve: a checkpoint written under other values
# of these may still be resumed.
BOOKKEEPING_FIELDS = frozenset({"checkpoint_every", "keep_checkpoints", "throughput_warmup_steps", "peak_flops"})


class TrainSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    learning_rate: float = Field(2e-5, gt=0, description="Peak AdamW learning rate, reached at the end of warm-up.")
    batch_size: int = Field(
        32,
        gt=0,
        description="Effective batch size: examples per optimizer step, summed over gradient accumulation "
        "and processes. This is the variable the study sweeps.",
    )
    micro_batch_size: int = Field(
        8,
        gt=0,
        description="Examples per forward/backward pass on one process (what fits in memory). "
        "Accumulation steps = batch_size / (micro_batch_size x processes).",
    )
    micro_batch_tokens: int | None = Field(
        None,
        gt=0,
        description="Merge a step's consecutive micro-batches into one forward/backward pass while the merged "
        "batch stays within this many padded tokens (e.g. micro_batch_size x max_length: the memory of one "
        "full-length micro-batch). Length-grouped batches of short sentences then take fewer, fuller passes; "
        "the examples of each step are unchanged. Unset = one pass per micro-batch.",
    )
    epochs: int = Field(3, gt=0, description="Passes over the training set.")
    max_steps: int | None = Field(None, gt=0, description="Stop after this many optimizer steps (caps epochs).")
    warmup_ratio: float = Field(
        0.1, ge=0, lt=1, description="Fraction of the steps spent warming the learning rate up linearly from 0."
    )
    weight_decay: float = Field(
        0.01, ge=0, description="AdamW weight decay (not applied to biases and normalisation gains)."
    )
    max_grad_norm: float | None = Field(
        1.0, gt=0, description="Clip the global gradient norm to this; unset = no clipping."
    )
    eval_every: int | None = Field(
        None, gt=0, description="Evaluate every this many optimizer steps; the end of training is always evaluated."
    )
    patience: int | None = Field(
        None,
        gt=0,
        description="Early stopping: stop after this many evaluations without a better primary score; unset = never.",
    )
    seed: int = Field(0, ge=0, description="Seed for weights-independent randomness: data order, dropout.")
    bf16: bool = Field(True, description="Train under bf16 autocast when a GPU is present.")
    bf16_on_cpu: bool = Field(
        False,
        description="Train under bf16 autocast on CPU too: about 1.7x faster on CPUs with AMX/AVX512-BF16 "
        "(measured on Sapphire Rapids); off keeps CPU runs in fp32.",
    )
    log_every: int = Field(10, gt=0, description="Record the mean training loss every this many optimizer steps.")
    max_train_examples: int | None = Field(
        None, gt=0, description="Train on a fixed random subset of this many examples (the same subset for every seed)."
    )
    checkpoint_every: int = Field(
        100, gt=0, description="Write a resumable checkpoint every this many optimizer steps (and at the end)."
    )
    keep_checkpoints: int = Field(
        2, ge=1, description="Resumable checkpoints kept; older ones are the fallback when the newest is corrupt."
    )
    throughput_warmup_steps: int = Field(
        3, ge=0, description="Optimizer steps, at the start of each run, left out of the throughput rates."
    )
    peak_flops: float | None = Field(
        None, gt=0, description="Peak FLOP/s of one device for MFU; unset: measured by a matmul probe at the phase's start and end."
    )

    @model_validator(mode="after")
    def _micro_batch_divides_batch(self) -> TrainSettings:
        if self.micro_batch_size > self.batch_size:
            raise ValueError(
                f"micro_batch_size ({self.micro_batch_size}) must not exceed batch_size ({self.batch_size})"
            )
        if self.batch_size % self.micro_batch_size:
            raise ValueError(
                f"batch_size ({self.batch_size}) must be a multiple of micro_batch_size ({self.micro_batch_size})"
            )
        return self

    def accumulation_steps(self, world_size: int = 1) -> int:
        """Micro-batches each process accumulates per optimizer step."""
        per_step = self.micro_batch_size * world_size
        if self.batch_size % per_step:
            raise ConfigError(
                "batch_size",
                f"{self.batch_size} is not a multiple of micro_batch_size x processes = "
                f"{self.micro_batch_size} x {world_size}",
            )
        return self.batch_size // per_step

    def trajectory_fields(self) -> dict:
        """The settings a resumed run must share with the checkpoint it resumes."""
        return self.model_dump(exclude=set(BOOKKEEPING_FIELDS))
