"""Plumbing every reader shares: decoding, line splitting, field access, labels and ids.

Everything here raises DataError naming the file and the 1-based line, so a reader never has
to format an error location itself.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any, Mapping, Sequence

from xstilts.errors import DataError

NumberedLine = tuple[int, str]


class ExampleList(list):
    """A reader's examples plus how many records it left out on purpose (SNLI's '-' labels)."""

    def __init__(self, examples=(), skipped: int = 0):
        super().__init__(examples)
        self.skipped = skipped


def read_text(path: Path) -> str:
    """The file as text. Missing, empty or non-UTF-8 files are DataErrors with a line."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise DataError(path, None, f"cannot read file: {err.strerror or err}") from None
    if not data.strip():
        raise DataError(path, 1, "file is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        bad = data[err.start]
        raise DataError(path, line, f"invalid UTF-8 (byte 0x{bad:02x} at offset {err.start})") from None
    text = text.removeprefix("\ufeff")
    stray = _STRAY_BOM.search(text)
    if stray:
        line = text.count("\n", 0, stray.start()) + 2
        raise DataError(path, line, "byte-order mark (U+FEFF) at the start of the line: two files joined? remove it")
    return text


# A BOM opening a later line is what `cat a.tsv b.tsv` leaves; one standing alone as a field
# (PAN-X ta tokens) or inside a sentence (XNLI hi) is data and is kept.
_STRAY_BOM = re.compile("\n\ufeff(?=[^\\s])")
# Deeper JSON than this is no dataset: json.loads would fail with a RecursionError.
MAX_JSON_DEPTH = 500


def deep_json_line(text: str, limit: int = MAX_JSON_DEPTH) -> int | None:
    """The 1-based line where brackets nest deeper than ``limit`` (strings skipped), else None."""
    depth, line, in_string, escaped = 0, 1, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return line
        elif char in "]}":
            depth -= 1
        if char == "\n":
            line += 1
    return None


def json_document(text: str, path: Path, first_line: int = 1) -> Any:
    """json.loads with positions in errors; nesting too deep for Python is a DataError too."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise DataError(path, first_line + err.lineno - 1, f"invalid JSON: {err.msg} at column {err.colno}") from None
    except RecursionError:
        line = first_line + (deep_json_line(text) or 1) - 1
        raise DataError(path, line, f"JSON nested more than {MAX_JSON_DEPTH} levels deep") from None


def numbered_lines(text: str) -> list[NumberedLine]:
    """(line number, line) pairs, splitting on '\\n' only.

    str.splitlines would also break on \\x1c, \\x85, \\u2028 and friends, which occur inside
    real sentences (PAWS-X ko dev line 824 holds a \\x1c), and would shift every later line.
    A trailing '\\r' (CRLF files) is dropped.
    """
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [(number, line.removesuffix("\r")) for number, line in enumerate(lines, start=1)]


def split_tsv(path: Path, line_no: int, line: str, expected: int | Sequence[int]) -> list[str]:
    """Split a TSV line on tabs (no quoting: GLUE text contains bare quotes) and check the count."""
    fields = line.split("\t")
    allowed = (expected,) if isinstance(expected, int) else tuple(expected)
    if len(fields) not in allowed:
        wanted = " or ".join(str(n) for n in allowed)
        raise DataError(path, line_no, f"expected {wanted} tab-separated columns, found {len(fields)}")
    return fields


def jsonl_records(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """One JSON object per non-blank line; a bad line is reported with its own line number."""
    records = []
    for line_no, line in numbered_lines(read_text(path)):
        if not line.strip():
            continue
        record = json_document(line, path, line_no)
        if not isinstance(record, dict):
            raise DataError(path, line_no, f"expected a JSON object, found {type(record).__name__}")
        records.append((line_no, record))
    return records


def csv_records(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Rows of a headed CSV keyed by column name, each with the line its record starts on.

    The csv module handles quoted fields that span lines; StringIO splits only on '\\n', so
    reader.line_num counts the same lines a text editor shows.
    """
    reader = csv.reader(io.StringIO(read_text(path)), strict=True)
    start = 1
    try:
        header = next(reader)
        rows = []
        start = reader.line_num + 1
        for row in reader:
            if row:
                if len(row) != len(header):
                    message = f"expected {len(header)} CSV columns, found {len(row)}"
                    raise DataError(path, start, message)
                rows.append((start, dict(zip(header, row))))
            start = reader.line_num + 1
    except csv.Error as err:
        raise DataError(path, start, f"malformed CSV record starting here: {err}") from None
    return rows


def headed_tsv(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header columns and the (line, raw line) rows of a TSV whose first line names its columns."""
    lines = numbered_lines(read_text(path))
    header = lines[0][1].split("\t")
    rows = [(line_no, line) for line_no, line in lines[1:] if line.strip()]
    return header, rows


def field(
    record: Mapping[str, Any], key: str, path: Path, line: int, kind: type | tuple[type, ...] = str
) -> Any:
    """record[key], which must exist and be of `kind` (JSON true/false never counts as a number)."""
    if key not in record:
        raise DataError(path, line, f"missing field {key!r}")
    value = record[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        wanted = " or ".join(k.__name__ for k in kinds)
        raise DataError(path, line, f"field {key!r} should be {wanted}, found {value!r:.60}")
    return value


def checked_label(
    raw: str,
    path: Path,
    line: int,
    labels: Sequence[str] | None,
    label_map: Mapping[str, str] | None,
) -> str:
    """Map a raw label through `label_map` (if any) and check it against `labels` (if given)."""
    label = label_map.get(raw, raw) if label_map else raw
    if labels is not None and label not in labels:
        raise DataError(path, line, f"unknown label {raw!r}; expected one of: {', '.join(labels)}")
    return label


def line_id(path: Path, line: int) -> str:
    """The id of an example that the dataset does not name: '<file stem>:<line>'."""
    return f"{path.stem}:{line}"


def unique_ids(own: Sequence[str | None], fallback: Sequence[str]) -> list[str]:
    """The dataset's own ids when every record has one and none repeats, else the fallbacks.

    All-or-nothing so that ids from one file never mix two schemes.
    """
    counts = Counter(own)
    if None in counts or any(n > 1 for n in counts.values()):
        return list(fallback)
    return [str(own_id) for own_id in own]
