"""The overlap guard by content: nothing a trial trains or selects on is also evaluated.

The line guard (reads.TrainedLines) covers slices of one translated file; this covers data that
reaches a trial through another task: SQuAD v1.1 dev contains every XQuAD paragraph and
question, so an intermediate phase on SQuAD dev would be scored on what it trained on. Texts
are normalised (lower case, whitespace collapsed), hashed per example, and every training or
selection read is compared with every evaluated read of *another* task; a task's own splits
are the dataset's (XTREME's) division and are left as they come.

With ``overlap: drop`` the graph calls `drop_overlapping` on every training and selection read
instead: the shared examples leave the read (its lines and fingerprint change, so the phase's
content key does too) and the read counts them.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from xstilts.data.examples import ChoiceExample, ClassificationExample, SpanExample, TaggingExample
from xstilts.errors import ConfigError
from xstilts.features.cache import examples_fingerprint
from xstilts.pipeline.reads import SplitRead, load_examples
from xstilts.tasks.registry import get_task

# The text that identifies an example, by example type (labels and ids left out). A QA example
# is its paragraph: a question on a paragraph that is evaluated (XQuAD keeps only some of a
# SQuAD paragraph's questions) still trains on the evaluated context and answers.
TEXTS = {
    ClassificationExample: lambda e: [e.text_a, e.text_b or ""],
    ChoiceExample: lambda e: [e.context, e.question, *e.choices],
    SpanExample: lambda e: [e.context],
    TaggingExample: lambda e: list(e.tokens),
}


def _normalised(parts: list[str]) -> str:
    return "\x1f".join(" ".join(part.lower().split()) for part in parts)


def _digest(example) -> bytes:
    return hashlib.blake2b(_normalised(TEXTS[type(example)](example)).encode(), digest_size=12).digest()


@lru_cache(maxsize=256)
def _hashes(read: SplitRead, data_dir: Path) -> dict[bytes, str]:
    """Normalised-text digest -> the id of the first example with that text."""
    found: dict[bytes, str] = {}
    for example in load_examples(read, data_dir):
        found.setdefault(_digest(example), example.id)
    return found


@lru_cache(maxsize=256)
def drop_overlapping(read: SplitRead, evaluated: tuple[SplitRead, ...], data_dir: Path) -> SplitRead:
    """The read without the examples whose text another task's evaluated read also has (cached:
    a sweep builds one graph per trial over the same reads)."""
    # Only examples of one kind can share their text (a QA paragraph is no NLI pair).
    kind = get_task(read.ref.task).kind
    others = [e for e in evaluated if _compared(e) and e.ref.task != read.ref.task and get_task(e.ref.task).kind == kind]
    if not _compared(read) or not others:
        return read
    banned = set().union(*(_hashes(e, data_dir).keys() for e in others))
    examples = load_examples(read, data_dir)
    kept = [(line, ex) for line, ex in zip(read.lines, examples) if _digest(ex) not in banned]
    if len(kept) == len(examples):
        return read
    if not kept:
        raise ConfigError(read.key, f"every example of {read} is also evaluated by this run; train on other examples")
    return replace(read, lines=tuple(line for line, _ in kept), fingerprint=examples_fingerprint(ex for _, ex in kept),
                   dropped=len(examples) - len(kept))


def _compared(read: SplitRead) -> bool:
    return get_task(read.ref.task).kind != "retrieval" and bool(read.lines)


def check_no_overlap(nodes, data_dir: Path) -> int:
    """Raise ConfigError naming the training read, the evaluated read and the count when they
    share examples across tasks; returns the number of read pairs compared."""
    # Oracle reads (node.oracle) are evaluated data by design and are not compared.
    trained = {r for n in nodes for r in (*n.trains_on, *n.selects_on) if _compared(r)}
    evaluated = {r for n in nodes for r in n.evaluates if _compared(r)}
    pairs = 0
    for train in sorted(trained, key=str):
        for evaluation in sorted(evaluated, key=str):
            if train.ref.task == evaluation.ref.task:
                continue
            pairs += 1
            shared = _hashes(train, data_dir).keys() & _hashes(evaluation, data_dir).keys()
            if shared:
                first = min(shared)
                raise ConfigError(train.key, f"{len(shared)} examples of {train} also appear in {evaluation}, which this "
                                  f"trial evaluates (e.g. {_hashes(train, data_dir)[first]} = "
                                  f"{_hashes(evaluation, data_dir)[first]}); train on other examples")
    return pairs
