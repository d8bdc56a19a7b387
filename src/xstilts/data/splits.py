"""Split references like ``dev``, ``dev[0:1000]`` or ``pawsx:dev[1000:2000]``, and loading them.

A slice selects examples by position, which for XTREME's line-per-example files is the line
number. That makes "train on English dev lines 0-999, evaluate every language on lines
1000-1999" expressible for any translated dev set, and lets the leakage guard reason in lines.

Where a split comes from is decided here, once per split and language (`split_origin`): files
under the data dir (`files`), the spec's Hugging Face dataset (`hub`), or files where present and
the hub otherwise (`auto`). Both origins give the same example types with the same ids, so the
same examples fingerprint alike whichever way they were read.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from dataclasses import dataclass
from pathlib import Path

from xstilts.data.examples import BitextCorpus, Example
from xstilts.data.hub import MIRROR_ENV, dataset_revision, hub_config_name, hub_dataset, hub_path, hub_provides, load_hub_split
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


DATA_SOURCES = ("files", "hub", "auto")


def split_origin(spec: TaskSpec, data_dir: Path, split: str, lang: str, source: str = "files") -> str | None:
    """Where one split and language is read from under `source` ('files', 'hub' or 'auto'):
    'files', 'hub', or None when that source has nothing for it."""
    if source not in DATA_SOURCES:
        raise ConfigError("data_source", f"unknown data source {source!r}; expected one of {', '.join(DATA_SOURCES)}")
    if source != "hub" and spec.files(data_dir, split, lang):
        return "files"
    if source != "files" and hub_provides(spec, split, lang):
        return "hub"
    return None


def split_stamp(spec: TaskSpec, data_dir: Path, split: str, lang: str, origin: str) -> tuple:
    """What identifies the content of a split without reading it: the files' paths, sizes and
    mtimes, or the hub dataset, config, split and the revision `datasets` resolved."""
    if origin == "hub":
        hub = spec.hub
        config, hub_split = hub_config_name(spec, lang), hub.splits[split]
        return (("hub", hub_path(hub.id), config, hub_split, _hub_revision(spec, split, lang)),)
    return tuple((str(path), path.stat().st_size, path.stat().st_mtime_ns) for path, _ in spec.files(data_dir, split, lang))


def read_split(spec: TaskSpec, data_dir: Path, split: str, lang: str, origin: str = "files") -> list[Example]:
    """Every example of one split and language: concatenated over the split's files in order,
    or the hub split's rows."""
    if origin == "hub":
        return list(_hub_split(spec.model_dump_json(), split, lang, os.environ.get(MIRROR_ENV)))
    examples: list[Example] = []
    for path, source in spec.files(data_dir, split, lang):
        labels = tuple(spec.labels) if spec.labels is not None else None
        options = json.dumps(source.options, sort_keys=True)
        examples.extend(_read_file(source.format, path, path.stat().st_mtime_ns, labels, options))
    return examples


def read_bitext(spec: TaskSpec, data_dir: Path, split: str, lang: str, origin: str = "files") -> BitextCorpus | None:
    if origin == "hub":
        return _hub_split(spec.model_dump_json(), split, lang, os.environ.get(MIRROR_ENV))
    from xstilts.data.readers import read

    files = spec.files(data_dir, split, lang)
    if not files:
        return None
    path, source = files[0]
    return read(source.format, path, **source.options)


@lru_cache(maxsize=64)
def _hub_split(spec_json: str, split: str, lang: str, mirror: str | None) -> tuple | BitextCorpus:
    # Cached per spec definition and mirror (the environment names it): planning, the phase and
    # the overlap guard map the same rows once per process.
    loaded = load_hub_split(TaskSpec.model_validate_json(spec_json), split, lang)
    return loaded if isinstance(loaded, BitextCorpus) else tuple(loaded)


def _hub_revision(spec: TaskSpec, split: str, lang: str) -> str:
    return dataset_revision(hub_dataset(spec, split, lang))
