"""MLQA's language-aware answer normalisation (Lewis et al. 2020), used by XTREME for MLQA.

Differences from SQuAD v1.1: punctuation is every Unicode "P*" character plus ASCII
punctuation; articles are removed per answer language; Chinese is tokenised one CJK character
at a time (other runs split on whitespace), so token F1 gives partial credit inside words.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable, Mapping

from xstilts.metrics.qa import QAGold, em_f1

_ASCII_PUNCTUATION = frozenset(string.punctuation)
# MLQA treats only the CJK Unified Ideographs block up to U+9FA5 as single-character tokens.
_CJK_CHAR = re.compile("[\u4e00-\u9fa5]")


def _is_punctuation(ch: str) -> bool:
    return ch in _ASCII_PUNCTUATION or unicodedata.category(ch).startswith("P")


def _drop_words(pattern: str) -> Callable[[str], str]:
    compiled = re.compile(pattern)
    return lambda text: compiled.sub(" ", text)


def _keep(text: str) -> str:
    return text


def _drop_arabic_al(text: str) -> str:
    # MLQA's Arabic rule is the regex "\sال^|ال"; its first branch can never match (a "^"
    # after characters), so in effect every occurrence of the prefix "ال" becomes a space.
    return text.replace("\u0627\u0644", " ")


# Answer language -> article removal. Hindi and Chinese have no articles to remove.
_ARTICLE_REMOVERS: dict[str, Callable[[str], str]] = {
    "en": _drop_words(r"\b(a|an|the)\b"),
    "es": _drop_words(r"\b(un|una|unos|unas|el|la|los|las)\b"),
    "hi": _keep,
    "vi": _drop_words(r"\b(của|là|cái|chiếc|những)\b"),
    "de": _drop_words(r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b"),
    "ar": _drop_arabic_al,
    "zh": _keep,
}


def mixed_segmentation(text: str) -> list[str]:
    """Each CJK ideograph or punctuation mark is a token; other runs split on whitespace."""
    tokens: list[str] = []
    pending = ""
    for ch in text:
        if _CJK_CHAR.match(ch) or _is_punctuation(ch):
            tokens.extend(pending.split())
            pending = ""
            tokens.append(ch)
        else:
            pending += ch
    tokens.extend(pending.split())
    return tokens


# Answer language -> tokeniser used to re-join the normalised answer.
_TOKENIZERS: dict[str, Callable[[str], list[str]]] = {
    **{lang: str.split for lang in ("en", "es", "hi", "vi", "de", "ar")},
    "zh": mixed_segmentation,
}

def mlqa_normalize(text: str, language: str) -> str:
    """Lower-case, drop punctuation, drop the language's articles, re-join its tokens."""
    if language not in _ARTICLE_REMOVERS:
        raise ValueError(f"MLQA has no normalisation rules for language {language!r}")
    text = "".join(ch for ch in text.lower() if not _is_punctuation(ch))
    text = _ARTICLE_REMOVERS[language](text)
    tokens = _TOKENIZERS[language](text)
    return " ".join(token for token in tokens if token.strip() != "")


def mlqa_em_f1(gold: QAGold, predictions: Mapping[str, str], language: str) -> dict[str, float]:
    """MLQA EM/F1 (0-100) with the answer language's normalisation."""
    return em_f1(gold, predictions, mlqa_normalizer(language))


def mlqa_normalizer(language: str) -> Callable[[str], str]:
    """The answer normaliser MLQA uses for ``language``."""
    if language not in _ARTICLE_REMOVERS:
        raise ValueError(f"MLQA has no normalisation rules for language {language!r}")
    return lambda text: mlqa_normalize(text, language)
