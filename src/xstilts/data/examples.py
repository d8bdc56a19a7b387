"""The example types every reader returns and every featurizer consumes.

One type per task *kind*; readers for different file formats of the same kind return the same
type, so featurizers, metrics and the pipeline never look at file formats.
Labels are strings as the task spec lists them (e.g. "entailment", "1", "B-PER").
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ClassificationExample:
    """Single-sentence (text_b is None) or sentence-pair classification."""

    id: str
    text_a: str
    text_b: str | None
    label: str | None


@dataclass(frozen=True)
class ChoiceExample:
    """Multiple choice: a context (may be empty), a question and N candidate answers."""

    id: str
    context: str
    question: str
    choices: tuple[str, ...]
    label: int | None  # index into choices


@dataclass(frozen=True)
class Answer:
    text: str
    start: int  # character offset into the context


@dataclass(frozen=True)
class SpanExample:
    """Extractive QA (SQuAD layout). An unanswerable question has no answers."""

    id: str
    question: str
    context: str
    answers: tuple[Answer, ...]
    is_impossible: bool = False
    title: str = ""


@dataclass(frozen=True)
class TaggingExample:
    """One sentence of words with one tag per word (POS, NER BIO tags, CCG supertags)."""

    id: str
    tokens: tuple[str, ...]
    tags: tuple[str, ...] | None


@dataclass(frozen=True)
class BitextCorpus:
    """Sentences in two languages plus the gold aligned pairs (BUCC mining, Tatoeba search).

    For Tatoeba the gold pairs are (i, i) over line-aligned files.
    """

    source_lang: str
    target_lang: str
    source: dict[str, str]  # id -> sentence
    target: dict[str, str]
    gold: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def __len__(self) -> int:
        return len(self.source)


Example = ClassificationExample | ChoiceExample | SpanExample | TaggingExample
