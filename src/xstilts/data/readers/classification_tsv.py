"""Tab-separated sentence(-pair) classification files: XTREME pair TSVs, PAWS-X x-final, GLUE.

None of these formats quotes fields (GLUE text holds bare quotes), so lines are split on tabs
by hand rather than with the csv module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, NamedTuple, Sequence

from xstilts.data.examples import ClassificationExample
from xstilts.data.readers._common import (
    checked_label,
    headed_tsv,
    line_id,
    numbered_lines,
    read_text,
    split_tsv,
    unique_ids,
)
from xstilts.errors import DataError

PAWSX_FINAL_HEADER = ["id", "sentence1", "sentence2", "label"]


class GlueLayout(NamedTuple):
    text_a: str
    text_b: str | None
    label: str
    id: str | None


# Known GLUE-style headers, tried in order; the first whose text columns are all present wins.
GLUE_LAYOUTS = (
    GlueLayout("sentence1", "sentence2", "gold_label", "pairID"),  # MNLI, SNLI
    GlueLayout("question1", "question2", "is_duplicate", "id"),  # QQP
    GlueLayout("question", "sentence", "label", "index"),  # QNLI
    GlueLayout("sentence1", "sentence2", "label", "index"),  # RTE, WNLI
    GlueLayout("sentence", None, "label", None),  # SST-2
)


def read_xtreme_pair_tsv(
    path: Path, *, labels: Sequence[str] | None = None, label_map: Mapping[str, str] | None = None
) -> list[ClassificationExample]:
    """`s1<TAB>s2<TAB>label` with no header (XNLI, PAWS-X in XTREME); unlabelled files have 2 columns.

    The first line fixes the column count, so a labelled file missing one label is an error.
    """
    lines = numbered_lines(read_text(path))
    width = len(split_tsv(path, *lines[0], expected=(2, 3)))
    examples = []
    for line_no, line in lines:
        fields = split_tsv(path, line_no, line, expected=width)
        label = checked_label(fields[2], path, line_no, labels, label_map) if width == 3 else None
        examples.append(ClassificationExample(line_id(path, line_no), fields[0], fields[1], label))
    return examples


def read_pawsx_final_tsv(
    path: Path, *, labels: Sequence[str] | None = None, label_map: Mapping[str, str] | None = None
) -> list[ClassificationExample]:
    """PAWS-X official `x-final` TSV: header `id sentence1 sentence2 label`."""
    header, rows = headed_tsv(path)
    if header != PAWSX_FINAL_HEADER:
        raise DataError(path, 1, f"expected header {' '.join(PAWSX_FINAL_HEADER)!r}, found {header!r:.80}")
    parsed = [(line_no, split_tsv(path, line_no, line, expected=4)) for line_no, line in rows]
    ids = unique_ids([fields[0] for _, fields in parsed], [line_id(path, n) for n, _ in parsed])
    return [
        ClassificationExample(
            example_id, fields[1], fields[2], checked_label(fields[3], path, line_no, labels, label_map)
        )
        for example_id, (line_no, fields) in zip(ids, parsed)
    ]


def read_glue_tsv(
    path: Path,
    *,
    labels: Sequence[str] | None = None,
    label_map: Mapping[str, str] | None = None,
    text_a: str | None = None,
    text_b: str | None = None,
    label: str | None = None,
    id_column: str | None = None,
) -> list[ClassificationExample]:
    """GLUE TSV with a header. Columns come from the options, else from a known GLUE layout.

    A label column absent from the header (e.g. QQP test) gives unlabelled examples. Rows may
    carry more columns than the header (seen in GLUE MNLI/QQP), never fewer.
    """
    header, rows = headed_tsv(path)
    layout = _glue_layout(path, header, text_a, text_b, label, id_column)
    index = {name: position for position, name in reversed(list(enumerate(header)))}
    needed = max(index[name] for name in layout if name in index) + 1
    parsed = []
    for line_no, line in rows:
        fields = line.split("\t")
        if len(fields) < needed:
            raise DataError(
                path, line_no, f"expected {len(header)} tab-separated columns, found {len(fields)}"
            )
        parsed.append((line_no, fields))
    ids = unique_ids(
        [fields[index[layout.id]] if layout.id in index else None for _, fields in parsed],
        [line_id(path, line_no) for line_no, _ in parsed],
    )
    has_label = layout.label in index
    return [
        ClassificationExample(
            example_id,
            fields[index[layout.text_a]],
            fields[index[layout.text_b]] if layout.text_b else None,
            (
                checked_label(fields[index[layout.label]], path, line_no, labels, label_map)
                if has_label
                else None
            ),
        )
        for example_id, (line_no, fields) in zip(ids, parsed)
    ]


def _glue_layout(
    path: Path,
    header: list[str],
    text_a: str | None,
    text_b: str | None,
    label: str | None,
    id_column: str | None,
) -> GlueLayout:
    """The columns to read: a known layout (unless text_a is given) with the caller's overrides.

    Every column the caller names must be in the header; a layout's label or id column may be
    missing (test files have no labels).
    """
    if text_a is None:
        layout = next(
            (known for known in GLUE_LAYOUTS if {known.text_a, known.text_b} - {None} <= set(header)),
            None,
        )
        if layout is None:
            raise DataError(path, 1, f"no known GLUE columns in header {header!r:.80}; pass text_a=")
    else:
        layout = GlueLayout(text_a, text_b, "label", None)
    for name in (text_a, text_b, label, id_column):
        if name is not None and name not in header:
            raise DataError(path, 1, f"column {name!r} is not in the header {header!r:.80}")
    return layout._replace(label=label or layout.label, id=id_column or layout.id)
