"""What phases hand each other: descriptors of folders on disk, and the task model they load."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from xstilts.results import ScoreRow


@dataclass(frozen=True)
class EncoderArtifact:
    key: str
    path: Path  # a Hugging Face checkpoint dir (config, safetensors, tokenizer)


@dataclass(frozen=True)
class TaskArtifact:
    key: str
    task: str
    encoder: EncoderArtifact
    weights: dict[str, str]  # selection ("english_dev" | "target_dev" | "final") -> weights folder
    labels: list[str] | None


@dataclass(frozen=True)
class Predictions:
    key: str
    task: str
    folder: Path
    scores: list[ScoreRow]


def task_model(encoder_dir: Path, kind: str, labels: list[str] | None, ctx):
    """The encoder of `encoder_dir` with a fresh head for `kind`, on the phase's device."""
    from xstilts.models.encoder_io import freeze_word_embeddings, load_encoder
    from xstilts.models.task_model import build_task_model

    encoder = load_encoder(encoder_dir)
    if ctx.config.model.freeze_word_embeddings:
        freeze_word_embeddings(encoder)
    return build_task_model(encoder, kind, len(labels) if labels else None).to(ctx.device)
