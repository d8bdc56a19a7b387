"""Multiple-choice files: Cosmos QA (CSV, JSONL), CommonsenseQA (two JSONL layouts), HellaSwag.

A choice label is an index into the choices, checked against the number of choices; `labels`
is accepted so every reader has the same signature, but there is no label vocabulary to check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from xstilts.data.examples import ChoiceExample
from xstilts.data.readers._common import csv_records, field, jsonl_records, line_id, unique_ids
from xstilts.errors import DataError

COSMOSQA_ANSWERS = ("answer0", "answer1", "answer2", "answer3")

Record = Mapping[str, Any]


def read_cosmosqa_csv(path: Path, *, labels: Sequence[str] | None = None) -> list[ChoiceExample]:
    """Cosmos QA CSV: `id`, `context`, `question`, `answer0`..`answer3`, `label` (absent in test)."""
    return _cosmosqa(path, csv_records(path))


def read_cosmosqa_jsonl(path: Path, *, labels: Sequence[str] | None = None) -> list[ChoiceExample]:
    """Cosmos QA JSONL: the same fields as the CSV, one object per line."""
    return _cosmosqa(path, jsonl_records(path))


def _cosmosqa(path: Path, records: list[tuple[int, Record]]) -> list[ChoiceExample]:
    ids = unique_ids([r.get("id") for _, r in records], [line_id(path, n) for n, _ in records])
    examples = []
    for example_id, (line_no, record) in zip(ids, records):
        choices = tuple(field(record, key, path, line_no) for key in COSMOSQA_ANSWERS)
        examples.append(
            ChoiceExample(
                example_id,
                field(record, "context", path, line_no),
                field(record, "question", path, line_no),
                choices,
                _choice_index(record.get("label"), len(choices), path, line_no),
            )
        )
    return examples


def read_commonsenseqa_jsonl(path: Path, *, labels: Sequence[str] | None = None) -> list[ChoiceExample]:
    """CommonsenseQA JSONL in either layout, told apart line by line by the type of `question`.

    Original: `question: {stem, choices: [{label, text}]}`; Hugging Face: `question` (string) and
    `choices: {label: [...], text: [...]}`. `answerKey` names a choice label (absent in test).
    """
    records = jsonl_records(path)
    ids = unique_ids([r.get("id") for _, r in records], [line_id(path, n) for n, _ in records])
    examples = []
    for example_id, (line_no, record) in zip(ids, records):
        question = field(record, "question", path, line_no, (dict, str))
        stem, choice_labels, texts = CSQA_LAYOUTS[type(question)](record, path, line_no)
        answer = record.get("answerKey")
        # Only an absent, null or empty answerKey means unlabelled (test files); 0 is a wrong label.
        answer = None if answer is None or answer == "" else answer
        if answer is not None and answer not in choice_labels:
            raise DataError(path, line_no, f"answerKey {answer!r} is not one of {choice_labels}")
        label = None if answer is None else choice_labels.index(answer)
        examples.append(ChoiceExample(example_id, "", stem, tuple(texts), label))
    return examples


def _csqa_original(record: Record, path: Path, line: int) -> tuple[str, list[str], list[str]]:
    question = record["question"]
    choices = field(question, "choices", path, line, list)
    for choice in choices:
        if not isinstance(choice, dict):
            raise DataError(path, line, f"each choice should be an object, found {choice!r:.60}")
    return (
        field(question, "stem", path, line),
        [field(choice, "label", path, line) for choice in choices],
        [field(choice, "text", path, line) for choice in choices],
    )


def _csqa_flat(record: Record, path: Path, line: int) -> tuple[str, list[str], list[str]]:
    choices = field(record, "choices", path, line, dict)
    choice_labels = field(choices, "label", path, line, list)
    texts = field(choices, "text", path, line, list)
    if len(choice_labels) != len(texts):
        raise DataError(path, line, f"{len(choice_labels)} choice labels but {len(texts)} choice texts")
    if not all(isinstance(text, str) for text in texts):
        raise DataError(path, line, "every choice text should be a string")
    return record["question"], choice_labels, texts


CSQA_LAYOUTS: dict[type, Callable[[Record, Path, int], tuple[str, list[str], list[str]]]] = {
    dict: _csqa_original,
    str: _csqa_flat,
}


def read_hellaswag_jsonl(path: Path, *, labels: Sequence[str] | None = None) -> list[ChoiceExample]:
    """HellaSwag JSONL: `ctx_a` + `ctx_b` (or just `ctx`), `endings`, `label` (absent in test).

    With the split context, `ctx_a` is the context and `ctx_b` (the start of the sentence the
    endings complete) the question, so a featurizer can join question and ending.
    """
    records = jsonl_records(path)
    ids = unique_ids([r.get("ind") for _, r in records], [line_id(path, n) for n, _ in records])
    examples = []
    for example_id, (line_no, record) in zip(ids, records):
        if "ctx_a" in record:
            context = field(record, "ctx_a", path, line_no)
            question = field(record, "ctx_b", path, line_no)
        else:
            context, question = field(record, "ctx", path, line_no), ""
        endings = field(record, "endings", path, line_no, list)
        if not all(isinstance(ending, str) for ending in endings):
            raise DataError(path, line_no, "every entry of 'endings' should be a string")
        # A choice head scores a fixed number of endings: none, or a count unlike the first row's, cannot be batched.
        if not endings or (examples and len(endings) != len(examples[0].choices)):
            wanted = f"{len(examples[0].choices)} like line {records[0][0]}" if examples else "at least one"
            raise DataError(path, line_no, f"{len(endings)} endings; expected {wanted}")
        label = _choice_index(record.get("label"), len(endings), path, line_no)
        examples.append(ChoiceExample(example_id, context, question, tuple(endings), label))
    return examples


def _choice_index(raw: Any, n_choices: int, path: Path, line: int) -> int | None:
    """A label given as an int or a digit string, checked to index one of the choices."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        index = raw
    elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():  # not "²"
        index = int(raw)
    else:
        raise DataError(path, line, f"label {raw!r:.40} is not a choice index")
    if not 0 <= index < n_choices:
        raise DataError(path, line, f"label {index} is out of range for {n_choices} choices")
    return index
