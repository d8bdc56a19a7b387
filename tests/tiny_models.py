"""Tiny randomly initialised BERT encoders with the real e5 tokenizer, for tests and benchmarks.

The full 250,002-piece vocabulary is kept (not remapped to a small one), so featurization,
special-token ids and truncation behave exactly as with the real model; at hidden size 32
the embedding matrix is only 8M floats (32 MB), which initialises and saves in well under
a second.
"""

from __future__ import annotations

from pathlib import Path

import torch

from xstilts.models.cache import build_once
from xstilts.models.tokenizer import E5_MAX_LENGTH, write_e5_tokenizer

E5_VOCAB_SIZE = 250_002  # pieces in the e5 tokenizer, <mask> (id 250001) included


def tiny_encoder_dir(
    cache_dir: Path, *, hidden: int = 32, layers: int = 2, heads: int = 2, seed: int = 0
) -> Path:
    """Folder with a tiny BERT checkpoint + e5 tokenizer files, created once per settings."""
    name = f"tiny-bert-h{hidden}-l{layers}-a{heads}-seed{seed}"
    return build_once(
        Path(cache_dir) / name,
        lambda tmp: _write_tiny_checkpoint(tmp, hidden=hidden, layers=layers, heads=heads, seed=seed),
    )


def _write_tiny_checkpoint(directory: Path, *, hidden: int, layers: int, heads: int, seed: int) -> None:
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=E5_VOCAB_SIZE,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=4 * hidden,
        max_position_embeddings=E5_MAX_LENGTH,
        type_vocab_size=2,
        pad_token_id=1,
        architectures=["BertModel"],
    )
    # Seed a private RNG stream so building a tiny model never perturbs the caller's RNG.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = BertModel(config)
    model.save_pretrained(directory, safe_serialization=True)
    write_e5_tokenizer(directory)
