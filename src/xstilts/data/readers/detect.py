"""Guess a file's reader format from its name and first lines, for `xstilts data inspect`.

Pipelines never guess: task specs name their format. Detection only has to tell apart the
formats this package reads, including variants that share a suffix (PAWS-X x-final vs
XTREME pair TSV, tagging TSV vs pair TSV, the JSONL and CSV families).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from xstilts.data.readers.bitext import BUCC_LANGS, TATOEBA_NAME
from xstilts.data.readers.classification_tsv import GLUE_LAYOUTS, PAWSX_FINAL_HEADER
from xstilts.errors import DataError

HEAD_BYTES = 1 << 16

# (keys that must all be present in the first record, format); first match wins.
JSONL_SIGNATURES = (
    ({"endings"}, "hellaswag_jsonl"),
    ({"answerKey"}, "commonsenseqa_jsonl"),
    ({"answer0"}, "cosmosqa_jsonl"),
    ({"hypothesis"}, "anli_jsonl"),
    ({"sentence1", "gold_label"}, "snli_jsonl"),
)
CSV_SIGNATURES = (
    ({"statement", "gold_label"}, "anli_csv"),
    ({"answer0"}, "cosmosqa_csv"),
)


def detect_format(path: Path) -> str:
    """The READERS key that fits `path`; a DataError when nothing fits."""
    if TATOEBA_NAME.match(path.name):
        return "tatoeba"
    if _is_bucc(path):
        return "bucc"
    if not path.is_file():
        raise DataError(path, None, "no such file")
    lines = _head_lines(path)
    detector = BY_SUFFIX.get(path.suffix.lower(), _detect_tsv)
    found = detector(lines)
    if found is None:
        raise DataError(path, None, "cannot tell the format from the file; pass --format")
    return found


def _is_bucc(path: Path) -> bool:
    """A BUCC prefix (or one of its files) whose two language files both exist."""
    prefix = path.with_suffix("") if path.is_file() else path
    match = BUCC_LANGS.match(prefix.name)
    return bool(match) and all(
        prefix.with_name(f"{prefix.name}.{lang}").is_file() for lang in match.group(1, 2)
    )


def _head_lines(path: Path) -> list[str]:
    """The complete lines among the file's first HEAD_BYTES bytes (a cut-off last line is dropped)."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    lines = head.decode("utf-8", errors="replace").removeprefix("\ufeff").split("\n")
    if len(head) == HEAD_BYTES and len(lines) > 1:
        lines.pop()
    while lines and lines[-1] == "":
        lines.pop()
    return lines or [""]


def _detect_jsonl(lines: list[str]) -> str | None:
    first = next((line for line in lines if line.strip()), "")
    try:
        record = json.loads(first)
    except (json.JSONDecodeError, RecursionError):
        return None
    keys = set(record) if isinstance(record, dict) else set()
    return next((name for needed, name in JSONL_SIGNATURES if needed <= keys), None)


def _detect_csv(lines: list[str]) -> str | None:
    header = set(lines[0].strip().split(","))
    return next((name for needed, name in CSV_SIGNATURES if needed <= header), None)


def _detect_tsv(lines: list[str]) -> str | None:
    """Headed TSVs by their header; headerless ones by shape (sentences vs one token a line)."""
    header = lines[0].rstrip("\r").split("\t")
    if header == PAWSX_FINAL_HEADER:
        return "pawsx_final_tsv"
    if any({layout.text_a, layout.text_b} - {None} <= set(header) for layout in GLUE_LAYOUTS):
        return "glue_tsv"
    rows = [line.rstrip("\r").split("\t") for line in lines]
    has_blank_line = any(row == [""] for row in rows)
    if has_blank_line or all(len(row) == 2 and " " not in row[0] for row in rows if row != [""]):
        return _tagging_variant([row for row in rows if row != [""]])
    return "xtreme_pair_tsv" if {len(row) for row in rows} <= {2, 3} else None


def _tagging_variant(rows: list[list[str]]) -> str | None:
    widths = {len(row) for row in rows}
    if widths == {3} and all(row[0].isascii() and row[0].isdigit() for row in rows):
        return "wikiann_conll"
    if widths != {2}:
        return None
    # CCG categories are built with slashes ((S\NP)/NP); POS and NER tags never contain one.
    if any("/" in tag or "\\" in tag for _, tag in rows):
        return "ccg_supertag"
    return "xtreme_tagging_tsv"


BY_SUFFIX: dict[str, Callable[[list[str]], str | None]] = {
    ".conllu": lambda lines: "conllu",
    ".json": lambda lines: "squad_json",
    ".jsonl": _detect_jsonl,
    ".csv": _detect_csv,
}
