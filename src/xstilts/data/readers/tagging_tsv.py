"""One-token-per-line tagging files: XTREME POS / PAN-X TSV, WikiANN CoNLL, CCG supertags.

Sentences are separated by one or more blank lines; the last sentence may lack a trailing
blank line (every XTREME file in the data pack ends that way).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NoReturn, Sequence

from xstilts.data.examples import TaggingExample
from xstilts.data.readers._common import checked_label, line_id, numbered_lines, read_text, split_tsv
from xstilts.errors import DataError

Row = tuple[int, list[str]]  # (line number, tab-separated fields)

# PAN-X as first released prefixes every token with its language ("en:Sioux").
LANG_PREFIX = re.compile(r"^[a-z]{2,3}(?:-[a-z]+)?:(?=.)")


def read_xtreme_tagging_tsv(path: Path, *, labels: Sequence[str] | None = None) -> list[TaggingExample]:
    """`token<TAB>tag` per line (XTREME UD-POS and PAN-X), with or without `lang:` token prefixes."""
    return _tagged_sentences(path, labels, columns=2, token_column=0, strip_lang=True)


def read_wikiann_conll(path: Path, *, labels: Sequence[str] | None = None) -> list[TaggingExample]:
    """`idx<TAB>token<TAB>tag` per line; tokens may carry a `lang:` prefix."""
    return _tagged_sentences(path, labels, columns=3, token_column=1, strip_lang=True)


def read_ccg_supertag(path: Path, *, labels: Sequence[str] | None = None) -> list[TaggingExample]:
    """`token<TAB>supertag` per line. Tokens are kept verbatim: no language prefixes here."""
    return _tagged_sentences(path, labels, columns=2, token_column=0, strip_lang=False)


def _tagged_sentences(
    path: Path, labels: Sequence[str] | None, *, columns: int, token_column: int, strip_lang: bool
) -> list[TaggingExample]:
    sentences = _sentences(path, columns)
    cut = len(_shared_lang_prefix(sentences, token_column)) if strip_lang else 0
    if labels is not None:
        for line_no, fields in (row for rows in sentences for row in rows):
            checked_label(fields[-1], path, line_no, labels, None)
    return [
        TaggingExample(
            line_id(path, rows[0][0]),
            tuple(fields[token_column][cut:] for _, fields in rows),
            tuple(fields[-1] for _, fields in rows),
        )
        for rows in sentences
    ]


def _sentences(path: Path, columns: int) -> list[list[Row]]:
    """Rows grouped at blank lines; every row must have `columns` non-empty fields."""
    sentences: list[list[Row]] = []
    current: list[Row] = []
    for line_no, line in numbered_lines(read_text(path)):
        if not line or line.isspace():
            if current:
                sentences.append(current)
                current = []
            continue
        fields = line.split("\t")
        if len(fields) != columns or "" in fields:  # checked inline: this loop runs once per token
            _reject_row(path, line_no, line, columns)
        current.append((line_no, fields))
    if current:
        sentences.append(current)
    return sentences


def _reject_row(path: Path, line_no: int, line: str, columns: int) -> NoReturn:
    fields = split_tsv(path, line_no, line, expected=columns)  # raises on a wrong column count
    raise DataError(path, line_no, f"empty column {fields.index('') + 1}")


def _shared_lang_prefix(sentences: list[list[Row]], token_column: int) -> str:
    """The `lang:` prefix every token carries, or '' when the file does not use one.

    Only a prefix shared by every token counts: real tokens can look like prefixes (the
    Finnish UD test file has 'ip:llä', 'os:lla'), so one match proves nothing.
    """
    shared: str | None = None
    for rows in sentences:
        for _, fields in rows:
            match = LANG_PREFIX.match(fields[token_column])
            if match is None or shared not in (None, match.group(0)):
                return ""
            shared = match.group(0)
    return shared or ""
