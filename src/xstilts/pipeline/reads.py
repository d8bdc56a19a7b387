"""What a phase reads: one language of one split slice, resolved to lines and fingerprinted.

A SplitRead is built once, by the trial graph, before anything runs: the phase later loads
exactly those lines (`load_examples`), and its content key holds their fingerprint, so what a
phase computes and the key it is stored under can never disagree.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from xstilts.data.examples import BitextCorpus, Example
from xstilts.data.splits import SplitRef, read_bitext, read_split, split_origin, split_stamp, translation_group
from xstilts.errors import ConfigError
from xstilts.io import atomic_write_text
from xstilts.features.cache import examples_fingerprint
from xstilts.tasks.registry import get_task
from xstilts.tasks.spec import TaskSpec


@dataclass
class TrainedLines:
    """Lines of translated dev/test sets that some phase trains or selects on.

    Files in one translation group are line-aligned translations (PAWS-X, XNLI dev), so a line
    trained on in English must not be evaluated in *any* language.
    """

    ranges: dict[str, list[tuple[int, int | None]]] = field(default_factory=dict)

    def add(self, ref: SplitRef) -> None:
        group = translation_group(get_task(ref.task), ref.split)
        if group and (ref.start, ref.stop) not in self.ranges.get(group, []):
            self.ranges.setdefault(group, []).append((ref.start, ref.stop))


@dataclass(frozen=True)
class SplitRead:
    ref: SplitRef
    language: str
    lines: tuple[int, ...]  # positions in the split's examples (files concatenated in order)
    fingerprint: str  # content of exactly those examples
    key: str  # the config key that named this split, for errors
    excluded: int = 0  # lines the leakage guard removed
    total: int = 0  # examples in the split's files for this language (all lines, before slicing)
    unlabelled: str | None = None  # id ("file:line") of the first chosen example without a label
    origin: str = "files"  # data source hook: 'files' or 'hub', as data.splits.split_origin chose
    dropped: int = 0  # examples the overlap guard left out (config overlap: drop)

    def __str__(self) -> str:
        return f"{self.ref} ({self.language})"


@contextlib.contextmanager
def reported_as(key: str) -> Iterator[None]:
    """An unknown task or split inside a split reference is reported under the config key."""
    try:
        yield
    except ConfigError as err:
        raise ConfigError(key, err.message) from None


def english_of(ref: SplitRef) -> str:
    langs = get_task(ref.task).split_languages(ref.split)
    return "en" if "en" in langs else langs[0]


def languages_present(ref: SplitRef, data_dir: Path, wanted: list[str] | None, source: str = "files") -> list[str]:
    spec = get_task(ref.task)
    return [lang for lang in wanted or spec.split_languages(ref.split)
            if split_origin(spec, data_dir, ref.split, lang, source)]  # data source hook


class ReadCache:
    """What resolving a read found (lines, fingerprint, counts), kept on disk between processes.

    Reading 39 PAN-X dev files takes half a minute; a sweep's driver, its workers and every
    later `sweep plan` or `sweep run` need the same reads. An entry is keyed by the read, the
    files' paths, sizes and mtimes and the spec's definition, so an edited file or spec is read
    again. Saved atomically; a damaged or unwritable cache file only costs reading again.
    """

    FILE = "graph-reads.json"

    def __init__(self, cache_dir: Path):
        self.path = Path(cache_dir) / self.FILE
        try:
            self.entries: dict = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.entries = {}
        self.changed = False

    def get(self, key: str):
        entry = self.entries.get(key)
        if entry is None:
            return None
        lines = tuple(i for start, stop in entry["runs"] for i in range(start, stop))
        return lines, entry["fingerprint"], entry["removed"], entry["total"], entry["unlabelled"]

    def put(self, key: str, found: tuple) -> None:
        lines, fingerprint, removed, total, unlabelled = found
        self.entries[key] = {"runs": _runs(lines), "fingerprint": fingerprint, "removed": removed, "total": total,
                             "unlabelled": unlabelled}
        self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        try:
            atomic_write_text(self.path, json.dumps(self.entries))
        except OSError:
            pass  # a read-only cache only costs reading the files again next time


def _runs(lines: tuple[int, ...]) -> list[list[int]]:
    """Consecutive line numbers as [start, stop) runs: a 20,000-line slice is one pair."""
    runs: list[list[int]] = []
    for i in lines:
        if runs and runs[-1][1] == i:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1])
    return runs


def resolve_read(ref: SplitRef, language: str, data_dir: Path, key: str, *,
                 guard: TrainedLines | None = None, cap: int | None = None, cache: ReadCache | None = None,
                 source: str = "files") -> SplitRead:
    """Read one language of a slice (readers raise DataError with file:line), drop lines the
    guard excludes, keep the first `cap`, and fingerprint what is left."""
    with reported_as(key):
        spec = get_task(ref.task)
        origin = split_origin(spec, data_dir, ref.split, language, source)  # data source hook
    if origin is None:
        where = {"files": f"under {data_dir}", "hub": "in its spec's hub entry"}.get(source, f"under {data_dir} or on the hub")
        raise ConfigError(key, f"no {'files' if source == 'files' else 'data'} for {ref.task}:{ref.split} ({language}) {where}")
    group = translation_group(spec, ref.split) if guard is not None and spec.kind != "retrieval" else None
    excluded = tuple(guard.ranges.get(group or "", ())) if guard is not None else ()
    # A sweep builds one graph per trial over the same files: each distinct read is resolved once
    # per process, keyed by the files' size and mtime so an edited file is read again.
    with reported_as(key):
        stamp = split_stamp(spec, data_dir, ref.split, language, origin)  # data source hook
    spec_json = spec.model_dump_json()
    entry = json.dumps([str(ref), language, excluded, cap, stamp, spec_json])
    found = cache.get(entry) if cache is not None else None
    if found is None:
        with reported_as(key):
            found = _resolved(ref, language, Path(data_dir), excluded, cap, stamp, spec_json, origin)
        if cache is not None:
            cache.put(entry, found)
    lines, fingerprint, removed, total, unlabelled = found
    return SplitRead(ref, language, lines, fingerprint, key, excluded=removed, total=total, unlabelled=unlabelled,
                     origin=origin)


@lru_cache(maxsize=4096)
def _resolved(ref: SplitRef, language: str, data_dir: Path, excluded: tuple, cap: int | None,
              stamp: tuple, spec_json: str, origin: str = "files") -> tuple[tuple[int, ...], str, int, int, str | None]:
    spec = TaskSpec.model_validate_json(spec_json)  # the definition the cache entry is keyed on
    if spec.kind == "retrieval":
        corpus = read_bitext(spec, data_dir, ref.split, language, origin)
        return (), examples_fingerprint([corpus]), 0, len(corpus.source), None
    examples = read_split(spec, data_dir, ref.split, language, origin)
    sliced = ref.lines(len(examples))
    if not sliced:
        raise ConfigError("split", f"{ref} selects no examples (the split has {len(examples)} in {language})")
    kept = [i for i in sliced if not any(start <= i and (stop is None or i < stop) for start, stop in excluded)]
    chosen = tuple(kept[:cap] if cap is not None else kept)
    # Readers accept unlabelled rows (test files); a phase that trains or scores on them cannot.
    unlabelled = next((examples[i].id for i in chosen if getattr(examples[i], "label", 0) is None), None)
    return chosen, examples_fingerprint(examples[i] for i in chosen), len(sliced) - len(kept), len(examples), unlabelled


def load_examples(read: SplitRead, data_dir: Path) -> list[Example]:
    """Exactly the examples a read was fingerprinted on (files are cached by mtime, and a file
    changed since the graph was built fails the fingerprint check instead of training on it)."""
    examples = read_split(get_task(read.ref.task), data_dir, read.ref.split, read.language, read.origin)
    chosen = [examples[i] for i in read.lines if i < len(examples)]
    if len(chosen) != len(read.lines) or examples_fingerprint(chosen) != read.fingerprint:
        raise ConfigError(read.key, f"{read} changed on disk after the run was planned; run again")
    return chosen


def load_bitext(read: SplitRead, data_dir: Path) -> BitextCorpus:
    """The bitext corpus a retrieval read was fingerprinted on."""
    corpus = read_bitext(get_task(read.ref.task), data_dir, read.ref.split, read.language, read.origin)
    if corpus is None or examples_fingerprint([corpus]) != read.fingerprint:
        raise ConfigError(read.key, f"{read} changed on disk after the run was planned; run again")
    return corpus
