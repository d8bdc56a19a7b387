"""SQuAD-layout JSON, v1.1 and v2.0 (XQuAD, MLQA, TyDiQA-GoldP, SQuAD itself).

The document is parsed with json.loads; when a value turns out wrong, the path to it inside
the document is handed to `line_of`, which re-parses with positions to name its line.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator, Sequence

from xstilts.data.examples import Answer, SpanExample
from xstilts.data.readers._common import json_document, read_text, unique_ids
from xstilts.data.readers._json_positions import line_of
from xstilts.errors import DataError

JsonPath = tuple[str | int, ...]


class _Misplaced(Exception):
    """A bad value at `where` (and `key` inside it), before its line is known."""

    def __init__(self, where: JsonPath, key: str | None, message: str):
        super().__init__(message)
        self.where, self.key, self.message = where, key, message


def read_squad_json(path: Path, *, labels: Sequence[str] | None = None) -> list[SpanExample]:
    """Every question of a SQuAD JSON file; unanswerable (v2.0) questions get no answers.

    Question ids are the dataset's own when unique in the file; otherwise (the TyDiQA-GoldP
    copy in the data pack numbers questions per article) every id is '<file stem>#<n>', n
    counting questions from 1 in file order. `labels` does not apply to spans.
    """
    text = read_text(path)
    document = json_document(text, path)
    try:
        examples = list(_examples(document))
    except _Misplaced as problem:
        raise DataError(path, line_of(text, problem.where, problem.key), problem.message) from None
    ids = unique_ids(
        [example.id for example in examples],
        [f"{path.stem}#{n}" for n in range(1, len(examples) + 1)],
    )
    return [replace(example, id=example_id) for example_id, example in zip(ids, examples)]


def _examples(document: Any) -> Iterator[SpanExample]:
    for a, article in enumerate(_get(document, "data", list, ())):
        title = article.get("title", "") if isinstance(article, dict) else ""
        for p, paragraph in enumerate(_get(article, "paragraphs", list, ("data", a))):
            where = ("data", a, "paragraphs", p)
            context = _get(paragraph, "context", str, where)
            for q, qa in enumerate(_get(paragraph, "qas", list, where)):
                yield _span_example(qa, context, str(title), (*where, "qas", q))


def _span_example(qa: Any, context: str, title: str, where: JsonPath) -> SpanExample:
    qa_id = _get(qa, "id", (str, int), where)
    question = _get(qa, "question", str, where)
    impossible = qa.get("is_impossible", False)
    if not isinstance(impossible, bool):
        raise _Misplaced(
            where, "is_impossible", f"is_impossible should be true or false, found {impossible!r:.40}"
        )
    # v2.0 keeps would-be answers of impossible questions in plausible_answers, never in answers.
    answers = (
        ()
        if impossible
        else tuple(
            _answer(answer, context, (*where, "answers", k))
            for k, answer in enumerate(_get(qa, "answers", list, where))
        )
    )
    return SpanExample(str(qa_id), question, context, answers, impossible, title)


def _answer(answer: Any, context: str, where: JsonPath) -> Answer:
    text = _get(answer, "text", str, where)
    start = _get(answer, "answer_start", int, where)
    if not text.strip():
        raise _Misplaced(where, "text", "the answer text is empty (an unanswerable question has no answers)")
    if not 0 <= start <= len(context) - len(text):
        message = f"answer_start {start} is outside the context ({len(context)} characters) for {text!r:.60}"
        raise _Misplaced(where, "answer_start", message)
    found = context[start : start + len(text)] if start >= 0 else ""
    if found != text:
        message = (
            f"answer_start {start} does not point at the answer {text!r:.60} (context there: {found!r:.60})"
        )
        raise _Misplaced(where, "answer_start", message)
    return Answer(text, start)


def _get(node: Any, key: str, kind: type | tuple[type, ...], where: JsonPath) -> Any:
    """node[key] of the right type, else a _Misplaced naming where the problem sits."""
    if not isinstance(node, dict):
        raise _Misplaced(where, None, f"expected a JSON object, found {type(node).__name__}")
    if key not in node:
        raise _Misplaced(where, None, f"missing field {key!r}")
    value = node[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _Misplaced(where, key, f"field {key!r} has the wrong type: {value!r:.60}")
    return value
