"""Parallel-sentence retrieval data: BUCC 2018 mining files and the Tatoeba test pairs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from xstilts.data.examples import BitextCorpus
from xstilts.data.readers._common import numbered_lines, read_text, split_tsv
from xstilts.errors import DataError

BUCC_LANGS = re.compile(r"^([a-z]{2,3})-([a-z]{2,3})(?:\.|$)")
TATOEBA_NAME = re.compile(r"^tatoeba\.([a-z]+)-([a-z]+)\.([a-z]+)$")


def read_bucc(
    path: Path,
    *,
    labels: Sequence[str] | None = None,
    source_lang: str | None = None,
    target_lang: str | None = None,
) -> BitextCorpus:
    """BUCC: `<prefix>.<src>`, `<prefix>.<tgt>` (`id<TAB>sentence`) and `<prefix>.gold` (`src-id<TAB>tgt-id`).

    `path` is the prefix (`.../zh-en.dev`) or any one of the three files. Languages default to
    the pair in the name. The gold file is required: without it every mined pair would score
    F1 = 0 (XTREME's download script removes BUCC's test gold; evaluate dev then).
    """
    prefix = path.with_suffix("") if path.is_file() else path
    match = BUCC_LANGS.match(prefix.name)
    source_lang = source_lang or (match.group(1) if match else None)
    target_lang = target_lang or (match.group(2) if match else None)
    if not source_lang or not target_lang:
        raise DataError(
            path, None, "cannot tell the languages from the name; pass source_lang and target_lang"
        )
    source_path = prefix.with_name(f"{prefix.name}.{source_lang}")
    target_path = prefix.with_name(f"{prefix.name}.{target_lang}")
    gold_path = prefix.with_name(f"{prefix.name}.gold")
    source, target = _id_sentences(source_path), _id_sentences(target_path)
    if not gold_path.is_file():
        raise DataError(gold_path, None, "BUCC gold pairs file is missing; without it there is nothing to score against")
    gold = _gold_pairs(gold_path, (source_path, source), (target_path, target))
    return BitextCorpus(source_lang, target_lang, source, target, gold)


def _id_sentences(path: Path) -> dict[str, str]:
    sentences: dict[str, str] = {}
    for line_no, line in numbered_lines(read_text(path)):
        sentence_id, sentence = split_tsv(path, line_no, line, expected=2)
        if sentence_id in sentences:
            raise DataError(path, line_no, f"duplicate sentence id {sentence_id!r:.40}")
        sentences[sentence_id] = sentence
    return sentences


def _gold_pairs(
    gold_path: Path, source: tuple[Path, dict[str, str]], target: tuple[Path, dict[str, str]]
) -> tuple[tuple[str, str], ...]:
    """Gold id pairs; each id must name a sentence in its side's file."""
    pairs = []
    for line_no, line in numbered_lines(read_text(gold_path)):
        pair = split_tsv(gold_path, line_no, line, expected=2)
        for sentence_id, (side_path, sentences) in zip(pair, (source, target)):
            if sentence_id not in sentences:
                raise DataError(gold_path, line_no, f"id {sentence_id!r:.40} is not in {side_path.name}")
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)


def read_tatoeba(path: Path, *, labels: Sequence[str] | None = None) -> BitextCorpus:
    """`tatoeba.<xxx>-eng.<xxx>` and its line-aligned sibling `tatoeba.<xxx>-eng.eng`.

    `path` may name either file. Sentence ids are line indices from "0"; gold pairs are (i, i).
    """
    match = TATOEBA_NAME.match(path.name)
    if match is None or match.group(3) not in match.group(1, 2):
        raise DataError(path, None, "expected a file named like tatoeba.deu-eng.deu or tatoeba.deu-eng.eng")
    source_lang, target_lang = match.group(1, 2)
    source_path = path.with_name(f"tatoeba.{source_lang}-{target_lang}.{source_lang}")
    target_path = path.with_name(f"tatoeba.{source_lang}-{target_lang}.{target_lang}")
    source = [line for _, line in numbered_lines(read_text(source_path))]
    target = [line for _, line in numbered_lines(read_text(target_path))]
    if len(source) != len(target):
        (short_path, short), (long_path, long) = sorted(
            ((source_path, source), (target_path, target)), key=lambda side: len(side[1])
        )
        message = f"this file has {len(long)} lines but {short_path.name} has {len(short)}"
        raise DataError(long_path, len(short) + 1, f"{message}; the files must be line-aligned")
    ids = [str(index) for index in range(len(source))]
    return BitextCorpus(
        source_lang, target_lang, dict(zip(ids, source)), dict(zip(ids, target)), tuple(zip(ids, ids))
    )
