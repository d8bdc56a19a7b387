"""The only hand-off between training phases: the encoder's weights.

Heads are never transferred. A saved encoder is itself a valid Hugging Face checkpoint
directory (config.json + model.safetensors + tokenizer files), so `resolve_model_source`
and `AutoModel.from_pretrained` accept it directly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from transformers import AutoModel, PreTrainedModel, PreTrainedTokenizerBase

from xstilts.errors import XstiltsError
from xstilts.models.cache import atomic_directory
from xstilts.models.multitask import MultiTaskModel
from xstilts.models.task_model import TaskModel

EncoderHolder = TaskModel | MultiTaskModel | PreTrainedModel
# Files a tokenizer may be stored in, across the tokenizer formats HF checkpoints use.
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "sentencepiece.bpe.model",
    "spiece.model",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
)


def encoder_of(model: EncoderHolder) -> PreTrainedModel:
    # A bare HF model *is* the encoder (note BertModel also has an `.encoder` submodule).
    return model if isinstance(model, PreTrainedModel) else model.encoder


def save_encoder(
    model: EncoderHolder, directory: Path, tokenizer: PreTrainedTokenizerBase | None = None
) -> Path:
    """Write the encoder (safetensors), its config and its tokenizer to `directory`, atomically.

    Without `tokenizer`, the tokenizer files are copied from the folder the encoder was
    loaded from (`name_or_path`), which `resolve_model_source`/`load_encoder` always provide.
    """
    encoder = encoder_of(model)
    with atomic_directory(Path(directory), replace=True) as tmp:
        encoder.save_pretrained(tmp, safe_serialization=True)
        if tokenizer is not None:
            tokenizer.save_pretrained(tmp)
        else:
            _copy_tokenizer_files(Path(encoder.name_or_path), tmp)
    return Path(directory)


def _copy_tokenizer_files(origin: Path, destination: Path) -> None:
    found = [origin / name for name in TOKENIZER_FILES if (origin / name).is_file()]
    if not found:
        raise XstiltsError(
            f"no tokenizer files next to the encoder's origin '{origin}'; pass tokenizer= to save_encoder"
        )
    for path in found:
        shutil.copyfile(path, destination / path.name)  # follows HF-cache symlinks


def load_encoder(directory: Path, num_layers: int | None = None) -> PreTrainedModel:
    """Load an encoder saved by `save_encoder` (or any HF checkpoint directory).

    `num_layers` keeps only the first layers (the rest are never loaded): enough for anything
    that reads a lower layer's hidden states, such as retrieval pooling.
    """
    directory = Path(directory)
    if not (directory / "config.json").is_file():
        raise XstiltsError(f"'{directory}' is not a saved encoder (no config.json)")
    if num_layers is None:
        return AutoModel.from_pretrained(directory)
    return AutoModel.from_pretrained(directory, num_hidden_layers=num_layers)


def freeze_word_embeddings(model: EncoderHolder) -> None:
    """Stop training the input word embeddings (250k x H: most of e5-small's weights, and on
    CPU most of each optimizer step's cost). A tied MLM decoder is frozen with them."""
    encoder_of(model).get_input_embeddings().weight.requires_grad_(False)
