"""NLI releases that are not TSV: ANLI (official JSONL, analysis CSV) and SNLI JSONL."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Mapping, Sequence

from xstilts.data.examples import ClassificationExample
from xstilts.data.readers._common import (
    ExampleList,
    checked_label,
    csv_records,
    field,
    jsonl_records,
    line_id,
    unique_ids,
)

# ANLI writes labels as single letters; the task specs use the full NLI names.
ANLI_LABEL_MAP = MappingProxyType({"e": "entailment", "n": "neutral", "c": "contradiction"})

# SNLI marks pairs whose annotators reached no majority with '-'; everyone drops them.
SNLI_NO_CONSENSUS = "-"


def _anli_examples(path: Path, records, hypothesis: str, label: str, labels, label_map) -> list[ClassificationExample]:
    """ANLI rows from either release: the two differ only in column names and container."""
    ids = unique_ids([record.get("uid") for _, record in records], [line_id(path, n) for n, _ in records])
    return [
        ClassificationExample(
            example_id,
            field(record, "context", path, line_no),
            field(record, hypothesis, path, line_no),
            checked_label(field(record, label, path, line_no), path, line_no, labels, label_map),
        )
        for example_id, (line_no, record) in zip(ids, records)
    ]


def read_anli_jsonl(
    path: Path,
    *,
    labels: Sequence[str] | None = None,
    label_map: Mapping[str, str] | None = ANLI_LABEL_MAP,
) -> list[ClassificationExample]:
    """Official ANLI JSONL: `uid`, `context`, `hypothesis`, `label` (e/n/c)."""
    return _anli_examples(path, jsonl_records(path), "hypothesis", "label", labels, label_map)


def read_anli_csv(
    path: Path,
    *,
    labels: Sequence[str] | None = None,
    label_map: Mapping[str, str] | None = ANLI_LABEL_MAP,
) -> list[ClassificationExample]:
    """The ANLI analysis CSV: `context`, `statement`, `gold_label` (e/n/c), `uid`, annotations."""
    return _anli_examples(path, csv_records(path), "statement", "gold_label", labels, label_map)


def read_snli_jsonl(
    path: Path,
    *,
    labels: Sequence[str] | None = None,
    label_map: Mapping[str, str] | None = None,
) -> ExampleList:
    """SNLI JSONL (`sentence1`, `sentence2`, `gold_label`, `pairID`); '-' pairs are skipped and counted."""
    records = jsonl_records(path)
    kept = [
        (line_no, record)
        for line_no, record in records
        if field(record, "gold_label", path, line_no) != SNLI_NO_CONSENSUS
    ]
    ids = unique_ids([record.get("pairID") for _, record in kept], [line_id(path, n) for n, _ in kept])
    examples = [
        ClassificationExample(
            example_id,
            field(record, "sentence1", path, line_no),
            field(record, "sentence2", path, line_no),
            checked_label(record["gold_label"], path, line_no, labels, label_map),
        )
        for example_id, (line_no, record) in zip(ids, kept)
    ]
    return ExampleList(examples, skipped=len(records) - len(kept))
