"""Split references like ``dev``, ``dev[0:1000]`` or ``pawsx:dev[1000:2000]``, and loading them.

A slice selects examples by position, which for XTREME's line-per-example files is the line
number. That makes "train on English dev lines 0-999, evaluate every language on lines
1000-1999" expressible for any translated dev set, and lets the leakage guard reason in lines.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from dataclasses import dataclass
from pathlib import Path

from xstilts.data.examples import BitextCorpus, Example
from xstilts.errors import ConfigError
from xstilts.tasks.spec import TaskSpec

_REF = re.compile(r"^(?:(?P<task>[\w+-]+):)?(?P<split>\w+)(?:\[(?P<start>\d*):(?P<stop>\d*)\])?$")


@dataclass(frozen=True)
class SplitRef:
    task: str
    split: str
    start: int = 0
    stop: int | None = None

    @classmethod
    def parse(cls, text: str, default_task: str, key: str = "split") -> "SplitRef":
        match = _REF.match(text.strip())
        if not match:
            raise ConfigError(key, f"cannot parse split {text!r}; expected 'split', 'split[a:b]' or 'task:split[a:b]'")
        start, stop = match["start"], match["stop"]
        return cls(
            task=match["task"] or default_task,
            split=match["split"],
            start=int(start) if start else 0,
            stop=int(stop) if stop else None,
        )

    def lines(self, total: int) -> range:
        return range(min(self.start, total), min(self.stop if self.stop is not None else total, total))

    def __str__(self) -> str:
        stop = "" if self.stop is None else self.stop
        return f"{self.task}:{self.split}[{self.start}:{stop}]"


def translation_group(spec: TaskSpec, split: str) -> str | None:
    groups = {source.translation_group for source in spec.sources(split)}
    return groups.pop() if len(groups) == 1 else None


@lru_cache(maxsize=256)
def _read_file(fmt: str, path: Path, mtime_ns: int, labels: tuple[str, ...] | None, options: str) -> tuple:
    # Cached per (file, modification time): preflight, planning and the phases read the same
    # files; reading (and validating) each once keeps a run's start cheap.
    from xstilts.data.readers import read

    return tuple(read(fmt, path, labels=list(labels) if labels is not None else None, **json.loads(options)))


def read_split(spec: TaskSpec, data_dir: Path, split: str, lang: str) -> list[Example]:
    """Every example of one split and language, concatenated over the split's files in order."""
    examples: list[Example] = []
    for path, source in spec.files(data_dir, split, lang):
        labels = tuple(spec.labels) if spec.labels is not None else None
        options = json.dumps(source.options, sort_keys=True)
        examples.extend(_read_file(source.format, path, path.stat().st_mtime_ns, labels, options))
    return examples


def read_bitext(spec: TaskSpec, data_dir: Path, split: str, lang: str) -> BitextCorpus | None:
    from xstilts.data.readers import read

    files = spec.files(data_dir, split, lang)
    if not files:
        return None
    path, source = files[0]
    return read(source.format, path, **source.options)
