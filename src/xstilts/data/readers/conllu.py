"""CoNLL-U (Universal Dependencies): one TaggingExample of syntactic words per sentence.

Multi-word token lines (`3-4 don't`) and empty nodes (`5.1`) are skipped: the words the
treebank tags are the syntactic words, which is what XTREME's UD-POS uses too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from xstilts.data.examples import TaggingExample
from xstilts.data.readers._common import (
    NumberedLine,
    checked_label,
    line_id,
    numbered_lines,
    read_text,
    split_tsv,
    unique_ids,
)
from xstilts.errors import ConfigError, DataError

TAG_COLUMNS = {"upos": 3, "xpos": 4}
CONLLU_COLUMNS = 10
FORM = 1

WORD_ID = re.compile(r"[1-9][0-9]*")
MULTIWORD_ID = re.compile(r"[1-9][0-9]*-[1-9][0-9]*")
EMPTY_NODE_ID = re.compile(r"[0-9]+\.[1-9][0-9]*")
SENT_ID = re.compile(r"#\s*sent_id\s*=\s*(.*\S)")


@dataclass
class _Sentence:
    first_line: int
    sent_id: str | None
    words: list[tuple[int, list[str]]]  # (line number, the 10 fields)


def read_conllu(
    path: Path, *, labels: Sequence[str] | None = None, column: str = "upos"
) -> list[TaggingExample]:
    """Words and their `column` tags ('upos' or 'xpos'); ids are `sent_id`s when unique."""
    if column not in TAG_COLUMNS:
        raise ConfigError("options.column", f"must be one of {', '.join(TAG_COLUMNS)}, not {column!r}")
    tag = TAG_COLUMNS[column]
    sentences = [_parse_sentence(path, block) for block in _blocks(read_text(path))]
    ids = unique_ids(
        [sentence.sent_id for sentence in sentences],
        [line_id(path, sentence.first_line) for sentence in sentences],
    )
    return [
        TaggingExample(
            example_id,
            tuple(fields[FORM] for _, fields in sentence.words),
            tuple(
                checked_label(fields[tag], path, line_no, labels, None) for line_no, fields in sentence.words
            ),
        )
        for example_id, sentence in zip(ids, sentences)
    ]


def _blocks(text: str) -> list[list[NumberedLine]]:
    """Non-blank lines grouped at blank lines (a sentence's comments and rows)."""
    blocks: list[list[NumberedLine]] = [[]]
    for line_no, line in numbered_lines(text):
        if line.strip():
            blocks[-1].append((line_no, line))
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _parse_sentence(path: Path, block: list[NumberedLine]) -> _Sentence:
    """Check one sentence's rows: 10 columns, valid IDs, words numbered 1, 2, 3, ..."""
    sentence = _Sentence(block[0][0], None, [])
    seen_row = False
    for line_no, line in block:
        if line.startswith("#"):
            if seen_row:
                raise DataError(path, line_no, "comment line inside a sentence")
            match = SENT_ID.match(line)
            sentence.sent_id = match.group(1) if match else sentence.sent_id
            continue
        seen_row = True
        fields = split_tsv(path, line_no, line, expected=CONLLU_COLUMNS)
        if not all(fields):
            raise DataError(path, line_no, f"empty column {fields.index('') + 1} (CoNLL-U writes '_')")
        word_id = fields[0]
        if MULTIWORD_ID.fullmatch(word_id) or EMPTY_NODE_ID.fullmatch(word_id):
            continue
        if not WORD_ID.fullmatch(word_id):
            raise DataError(path, line_no, f"bad word ID {word_id!r:.20}")
        expected = len(sentence.words) + 1
        if int(word_id) != expected:
            raise DataError(path, line_no, f"word ID {word_id} out of sequence; expected {expected}")
        sentence.words.append((line_no, fields))
    if not sentence.words:
        raise DataError(path, sentence.first_line, "sentence has no words")
    return sentence
