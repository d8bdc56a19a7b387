"""The file formats of XTREME's prediction/label folders (google-research/xtreme
``mock_test_data``), read exactly as its ``evaluate.py`` reads them and written so they read
back unchanged.

* ``labels``: one label per line (PAWS-X, XNLI; Tatoeba: the retrieved line index).
* ``tags``: one tag per line, a blank line ends a sentence (PAN-X, UD-POS).
* ``pairs``: ``source-id<TAB>target-id`` per line (BUCC 2018).
* ``squad``: gold is SQuAD v1.1 JSON; predictions are ``{question id: answer text}``.

Readers strip every line (as evaluate.py does) and raise DataError for anything evaluate.py
would crash on. Writers refuse values that would not read back identically.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from xstilts.data.examples import SpanExample
from xstilts.errors import DataError
from xstilts.io import atomic_write_text


def _read_text(path: Path) -> str:
    r"""The whole file as UTF-8 text with universal newlines ("\r\n" and "\r" become "\n"),
    which is how evaluate.py's text-mode reads see it."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        raise DataError(path, None, "file not found") from None
    except UnicodeDecodeError as err:
        raise DataError(path, None, f"not UTF-8 text ({err.reason})") from None
    except OSError as err:
        raise DataError(path, None, err.strerror or str(err)) from None


def _read_stripped_lines(path: Path) -> list[str]:
    lines = _read_text(path).split("\n")
    if lines[-1] == "":  # the file ended with a line break (or is empty)
        lines.pop()
    return [line.strip() for line in lines]


def read_labels(path: Path) -> list[str]:
    """Every line, stripped; blank lines are labels too (an empty one)."""
    return _read_stripped_lines(path)


def read_tags(path: Path) -> list[list[str]]:
    """Sentences of tags. Each blank line closes a sentence, so two blank lines in a row make
    an empty sentence (as in evaluate.py); a final unterminated sentence is kept."""
    sentences: list[list[str]] = []
    current: list[str] = []
    for line in _read_stripped_lines(path):
        if line:
            current.append(line)
        else:
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    return sentences


def read_pairs(path: Path) -> list[tuple[str, ...]]:
    """Each stripped line split on tabs (a malformed line simply never matches the gold)."""
    return [tuple(line.split("\t")) for line in _read_stripped_lines(path)]


def _load_json(path: Path) -> Any:
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as err:
        raise DataError(path, err.lineno, f"invalid JSON: {err.msg}") from None


class _StrictModel(BaseModel):
    model_config = ConfigDict(strict=True)


class _GoldAnswer(_StrictModel):
    text: str


class _GoldQuestion(_StrictModel):
    id: str
    answers: list[_GoldAnswer]


class _GoldParagraph(_StrictModel):
    qas: list[_GoldQuestion]


class _GoldArticle(_StrictModel):
    paragraphs: list[_GoldParagraph]


_GOLD_ARTICLES = TypeAdapter(list[_GoldArticle])


def read_squad_gold(path: Path) -> list[tuple[str, list[str]]]:
    """(question id, answer texts) for every question, in file order."""
    document = _load_json(path)
    # evaluate.py unwraps {"data": [...]} and also accepts a bare list of articles.
    articles = document["data"] if isinstance(document, dict) and "data" in document else document
    try:
        parsed = _GOLD_ARTICLES.validate_python(articles)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = f"not SQuAD v1.1 JSON at data.{where}: {first['msg']}"
        raise DataError(path, None, message) from None
    return [
        (question.id, [answer.text for answer in question.answers])
        for article in parsed
        for paragraph in article.paragraphs
        for question in paragraph.qas
    ]


def read_squad_predictions(path: Path) -> dict[str, Any]:
    """``{question id: answer}``; answers are type-checked when scored (only gold ids count)."""
    document = _load_json(path)
    if not isinstance(document, dict):
        raise DataError(path, None, "predictions must be a JSON object {question id: answer}")
    if "data" in document:
        # evaluate.py would unwrap this key as if the file were a SQuAD dataset.
        raise DataError(path, None, "a question id 'data' is ambiguous in XTREME's reader")
    return document


def _check_line_value(value: Any, what: str, allow_empty: bool = True) -> str:
    """A value that survives being written as (part of) a line and read back stripped."""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, got {type(value).__name__}")
    if any(ch in value for ch in "\n\r\t") or value != value.strip():
        raise ValueError(f"{what} {value!r} has a tab, line break or surrounding whitespace")
    if not value and not allow_empty:
        raise ValueError(f"{what} must not be empty")
    return value


def write_labels(path: Path, labels: Sequence[str]) -> None:
    lines = [_check_line_value(label, "label") for label in labels]
    atomic_write_text(path, "".join(f"{line}\n" for line in lines))


def write_tags(path: Path, sentences: Sequence[Sequence[str]]) -> None:
    # Every sentence, even an empty one, is followed by one blank line: read_tags gives it back.
    blocks = []
    for sentence in sentences:
        tags = [_check_line_value(tag, "tag", allow_empty=False) for tag in sentence]
        blocks.append("".join(f"{tag}\n" for tag in tags) + "\n")
    atomic_write_text(path, "".join(blocks))


def write_pairs(path: Path, pairs: Sequence[Sequence[str]]) -> None:
    lines = []
    for pair in pairs:
        ids = [_check_line_value(item, "pair id", allow_empty=False) for item in pair]
        lines.append("\t".join(ids) + "\n")
    atomic_write_text(path, "".join(lines))


def write_squad_predictions(path: Path, answers: Mapping[str, str]) -> None:
    for question_id, answer in answers.items():
        if not isinstance(question_id, str) or not isinstance(answer, str):
            raise ValueError(f"QA predictions must map str ids to str answers: {question_id!r}")
    if "data" in answers:
        raise ValueError("a question id 'data' cannot be written: XTREME's reader unwraps it")
    atomic_write_text(path, json.dumps(dict(answers), ensure_ascii=False, indent=1) + "\n")


def write_squad_gold(path: Path, examples: Sequence[SpanExample]) -> None:
    """SQuAD v1.1 JSON, one article (and paragraph) per example, keeping context and offsets."""
    articles = [
        {
            "title": example.title,
            "paragraphs": [
                {
                    "context": example.context,
                    "qas": [
                        {
                            "id": example.id,
                            "question": example.question,
                            "answers": [
                                {"text": answer.text, "answer_start": answer.start}
                                for answer in example.answers
                            ],
                        }
                    ],
                }
            ],
        }
        for example in examples
    ]
    document = {"version": "1.1", "data": articles}
    atomic_write_text(path, json.dumps(document, ensure_ascii=False, indent=1) + "\n")


@dataclass(frozen=True)
class FileFormat:
    """How one kind of XTREME file is named, read and written."""

    suffix: str
    read_gold: Callable[[Path], Any]
    read_predictions: Callable[[Path], Any]
    write_gold: Callable[[Path, Any], None]
    write_predictions: Callable[[Path, Any], None]


FORMATS: dict[str, FileFormat] = {
    "labels": FileFormat("tsv", read_labels, read_labels, write_labels, write_labels),
    "tags": FileFormat("tsv", read_tags, read_tags, write_tags, write_tags),
    "pairs": FileFormat("tsv", read_pairs, read_pairs, write_pairs, write_pairs),
    "squad": FileFormat(
        "json", read_squad_gold, read_squad_predictions, write_squad_gold, write_squad_predictions
    ),
}

# XTREME task -> its file format.
XTREME_TASK_FORMAT: dict[str, str] = {
    "pawsx": "labels",
    "xnli": "labels",
    "tatoeba": "labels",
    "panx": "tags",
    "udpos": "tags",
    "bucc2018": "pairs",
    "xquad": "squad",
    "mlqa": "squad",
    "tydiqa": "squad",
}
