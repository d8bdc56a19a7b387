"""`xstilts data download`: tasks' hub splits written as the files `data_dir` expects.

Every (task, split, language) the spec's `hub` entry serves is loaded through `data/hub.py` (the
same rows a run with `data_source: hub` reads), written in the format and at the path the spec's
file pattern names (`target/pawsx/dev-de.tsv`), read back with the file reader and refused
unless it gives exactly the hub's examples (same fingerprint), then recorded in `MANIFEST.tsv`
(path, rows, sha256, hub id, config, split, revision, fingerprint). A file whose manifest row
and sha256 still match is skipped, so an interrupted download resumes where it stopped; every
file and the manifest are written atomically.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from xstilts.data.examples import BitextCorpus, ChoiceExample, ClassificationExample, SpanExample, TaggingExample
from xstilts.data.hub import dataset_revision, hub_config_name, hub_dataset, hub_path, hub_provides, load_hub_split
from xstilts.data.readers.nli import ANLI_LABEL_MAP
from xstilts.errors import ConfigError, DataError
from xstilts.features.cache import examples_fingerprint
from xstilts.io import atomic_write_text
from xstilts.tasks.registry import get_task
from xstilts.tasks.spec import SplitSource, TaskSpec

MANIFEST = "MANIFEST.tsv"
MANIFEST_COLUMNS = ("path", "rows", "sha256", "hub_id", "config", "hub_split", "revision", "fingerprint")
GLOB_CHARACTERS = set("*?[")


@dataclass(frozen=True)
class Planned:
    """One split of one task in one language, and the file its spec pattern names."""

    task: str
    split: str
    lang: str
    path: str  # relative to the output folder
    source: SplitSource
    hub_split: str | None = None  # one part of a '+'-joined hub split, written to one file of a glob

    def spec(self) -> TaskSpec:
        """The task's spec, its hub split narrowed to this file's part (ANLI's rounds)."""
        spec = get_task(self.task)
        if self.hub_split is None:
            return spec
        hub = spec.hub.model_copy(update={"splits": {**spec.hub.splits, self.split: self.hub_split}})
        return spec.model_copy(update={"hub": hub})


def plan(tasks: Sequence[str], splits: Sequence[str] | None = None, languages: Sequence[str] | None = None) -> list[Planned]:
    """Every split and language the tasks' hub entries serve (only `splits` and `languages`
    when given), in spec order."""
    planned = []
    for task in tasks:
        spec = get_task(task)
        if spec.hub is None:
            raise ConfigError("--tasks", f"task {task!r} names no Hugging Face dataset (no hub entry in its spec)")
        for split in spec.hub.splits:
            if splits is None or split in splits:
                planned.extend(_split_files(spec, split, languages))
    return planned


def _split_files(spec: TaskSpec, split: str, languages: Sequence[str] | None) -> list[Planned]:
    if split not in spec.splits:
        return []
    found = []
    for lang in spec.split_languages(split):
        if not hub_provides(spec, split, lang) or (languages is not None and lang not in languages):
            continue
        source = next(s for s in spec.sources(split) if lang in (s.languages or spec.languages))
        path = source.pattern.format(lang=lang, code=spec.lang_codes.get(lang, lang))
        if source.format not in WRITERS:
            raise ConfigError(f"{spec.name}.splits.{split}", f"cannot write format {source.format!r} from the hub "
                              f"({path}); formats written: {', '.join(sorted(WRITERS))}")
        parts = _glob_parts(path, spec.hub.splits[split])
        if parts is None:
            raise ConfigError(f"{spec.name}.splits.{split}", f"cannot write the glob pattern {path} from the hub split "
                              f"{spec.hub.splits[split]!r}: it needs one '+'-joined part per file")
        found += [Planned(spec.name, split, lang, file, source, part) for file, part in parts]
    return found


def _glob_parts(path: str, hub_split: str) -> list[tuple[str, str | None]] | None:
    """The files a pattern names, each with its hub split part: a plain path is one file of the
    whole split; `R[123]/train.jsonl` with `train_r1+train_r2+train_r3` is three files, one per part."""
    if not GLOB_CHARACTERS & set(path):
        return [(path, None)]
    match = re.fullmatch(r"([^*?\[]*)\[([^\]]+)\]([^*?\[]*)", path)
    parts = hub_split.split("+")
    if match is None or len(match[2]) != len(parts):
        return None
    return [(f"{match[1]}{char}{match[3]}", part) for char, part in zip(match[2], parts)]


def tasks_for_config(config_path: Path) -> list[str]:
    """The tasks a run config reads: its intermediate task(s), its targets, every task a split
    reference names (`mnli:train`) and each target's English training task."""
    from xstilts.config import load_config
    from xstilts.data.splits import SplitRef

    config = load_config(config_path)
    tasks = list(config.intermediate.task_names())
    refs = [config.intermediate.train_split, config.intermediate.dev_split]
    for name, target in config.targets.items():
        tasks.append(name)
        english = get_task(name).english_train
        refs += [target.train_split or english, target.dev_split, target.eval_split]
    named = (SplitRef.parse(ref, "", key="--for-config").task for ref in refs if ref)
    tasks += [task for task in named if task]  # 'mnli:train' names a task, 'dev[0:100]' does not
    return list(dict.fromkeys(tasks))


def download(planned: Iterable[Planned], out_dir: Path) -> list[dict]:
    """Write every planned file that is missing or differs from its manifest row."""
    from huggingface_hub.utils import tqdm

    out_dir = Path(out_dir)
    manifest = read_manifest(out_dir)
    planned = list(planned)
    # A bar on a terminal only (disable=None); the per-file lines are printed either way.
    with tqdm(total=len(planned), desc="xstilts data download", unit="split", disable=None) as bar:
        for item in planned:
            if _up_to_date(out_dir, item, manifest):
                bar.write(f"kept {item.path} (matches {MANIFEST})")
            elif absent_on_hub(item.spec(), item.split, item.lang):
                bar.write(f"absent {item.path}: the hub has no such split for {item.lang} (as XTREME: no file)")
            else:
                for row in _fetch(item, out_dir):
                    manifest[row["path"]] = row
                    bar.write(f"wrote {row['path']}: {row['rows']} rows from {row['hub_id']} "
                              f"({row['config'] or 'default'}, {row['hub_split']}) at {row['revision'][:12]}")
                write_manifest(out_dir, manifest)
            bar.update(1)
    return [manifest[path] for path in sorted(manifest)]


def describe(planned: Iterable[Planned], out_dir: Path) -> list[str]:
    """What `download` would do, one line per split, without loading anything (--dry-run)."""
    manifest = read_manifest(Path(out_dir))
    lines = []
    for item in planned:
        spec = item.spec()
        state = "kept" if _up_to_date(Path(out_dir), item, manifest) else "fetch"
        config = hub_config_name(spec, item.lang) or "default"
        lines.append(f"{state} {item.path} <- {spec.hub.id} ({config}, {spec.hub.splits[item.split]})")
    return lines


def absent_on_hub(spec: TaskSpec, split: str, lang: str) -> bool:
    """The hub config exists but lacks the split (UD-POS has no dev set for Thai, Yoruba, ...),
    judged from its data files without downloading them."""
    from datasets import load_dataset_builder
    from datasets.exceptions import DatasetsError

    config = hub_config_name(spec, lang)
    try:
        builder = load_dataset_builder(hub_path(spec.hub.id), config)
    except (OSError, ValueError, DatasetsError) as err:  # offline, unknown dataset or config
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise ConfigError(f"{spec.name}.hub", f"cannot load {spec.hub.id} ({config or 'default'}) from the hub: {reason}") from None
    present = set(builder.config.data_files or {})
    return bool(present) and not set(spec.hub.splits[split].split("+")) <= present


def _up_to_date(out_dir: Path, item: Planned, manifest: dict[str, dict]) -> bool:
    paths = WRITERS[item.source.format].paths(item.path)
    return all(path in manifest and _sha256(out_dir / path) == manifest[path]["sha256"] for path in paths)


def _fetch(item: Planned, out_dir: Path) -> list[dict]:
    spec = item.spec()
    loaded = load_hub_split(spec, item.split, item.lang)
    writer = WRITERS[item.source.format]
    texts = writer.write(loaded, item.path, item.source.options)
    for path, text in texts.items():
        atomic_write_text(out_dir / path, text)
    _check_round_trip(spec, item, out_dir, loaded)
    origin = {"hub_id": spec.hub.id, "config": hub_config_name(spec, item.lang) or "",
              "hub_split": spec.hub.splits[item.split],
              "revision": dataset_revision(hub_dataset(spec, item.split, item.lang)),
              "fingerprint": examples_fingerprint(_as_list(loaded))}
    return [{"path": path, "rows": text.count("\n") if writer.rows_are_lines else len(_as_list(loaded)),
             "sha256": _sha256(out_dir / path), **origin} for path, text in texts.items()]


def _check_round_trip(spec: TaskSpec, item: Planned, out_dir: Path, loaded) -> None:
    """The written file, read as a run reads it, must give exactly the hub's examples."""
    from xstilts.data.readers import read

    back = read(item.source.format, out_dir / item.path, labels=spec.labels, **item.source.options)
    if examples_fingerprint(_as_list(back)) != examples_fingerprint(_as_list(loaded)):
        raise DataError(out_dir / item.path, None, "reads back differently from the hub rows it was written from "
                        "(a field the file format cannot hold?); not recorded in the manifest")


def _as_list(loaded) -> list:
    return [loaded] if isinstance(loaded, BitextCorpus) else list(loaded)


def _sha256(path: Path) -> str | None:
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(out_dir: Path) -> dict[str, dict]:
    path = Path(out_dir) / MANIFEST
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["path"]: row for row in csv.DictReader(handle, delimiter="\t")}


def write_manifest(out_dir: Path, rows: dict[str, dict]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MANIFEST_COLUMNS, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    for path in sorted(rows):
        writer.writerow({column: rows[path].get(column, "") for column in MANIFEST_COLUMNS})
    atomic_write_text(Path(out_dir) / MANIFEST, buffer.getvalue())


# --- writers: examples -> file text in a reader's format -------------------------------------------


def _cell(value: str | None, where: str) -> str:
    """A TSV cell; tabs and line breaks inside a value would shift columns or lines."""
    text = "" if value is None else str(value)
    if any(ch in text for ch in "\t\n\r"):
        raise DataError(where, None, f"value {text!r:.60} holds a tab or line break; the TSV format cannot hold it")
    return text


def _pair_tsv(examples: Sequence[ClassificationExample], path: str, options: dict) -> dict[str, str]:
    rows = ("\t".join(_cell(v, path) for v in (e.text_a, e.text_b, e.label)) + "\n" for e in examples)
    return {path: "".join(rows)}


def _glue_tsv(examples: Sequence[ClassificationExample], path: str, options: dict) -> dict[str, str]:
    """Header from the spec's reader options (sentence1/sentence2/gold_label for MNLI)."""
    has_b = options.get("text_b") is not None
    header = [options.get("text_a", "sentence"), *([options["text_b"]] if has_b else []), options.get("label", "label")]
    lines = ["\t".join(header)]
    for e in examples:
        lines.append("\t".join(_cell(v, path) for v in (e.text_a, *([e.text_b] if has_b else []), e.label)))
    return {path: "\n".join(lines) + "\n"}


def _tagging_tsv(examples: Sequence[TaggingExample], path: str, options: dict) -> dict[str, str]:
    """A token and its tag per line, one blank line between sentences (the XTREME layout)."""
    sentences = []
    for e in examples:
        if e.tags is None:
            raise DataError(path, None, f"sentence {e.id} has no tags")
        sentences.append("\n".join(f"{_cell(t, path)}\t{_cell(g, path)}" for t, g in zip(e.tokens, e.tags)))
    return {path: "\n\n".join(sentences) + "\n"}


def _squad_json(examples: Sequence[SpanExample], path: str, options: dict) -> dict[str, str]:
    """SQuAD v1.1 JSON; consecutive questions on one title and context share an article/paragraph."""
    articles: list[dict] = []
    for e in examples:
        if not articles or articles[-1]["title"] != e.title:
            articles.append({"title": e.title, "paragraphs": []})
        paragraphs = articles[-1]["paragraphs"]
        if not paragraphs or paragraphs[-1]["context"] != e.context:
            paragraphs.append({"context": e.context, "qas": []})
        qa = {"id": e.id, "question": e.question, "answers": [{"text": a.text, "answer_start": a.start} for a in e.answers]}
        if e.is_impossible:
            qa["is_impossible"] = True
        paragraphs[-1]["qas"].append(qa)
    return {path: json.dumps({"version": "1.1", "data": articles}, ensure_ascii=False) + "\n"}


def _tatoeba(corpus: BitextCorpus, path: str, options: dict) -> dict[str, str]:
    """`tatoeba.<xxx>-eng.<xxx>` and `.eng`: line i of one translates line i of the other."""
    target_path = _tatoeba_target(path)
    lines = {path: corpus.source.values(), target_path: corpus.target.values()}
    return {name: "".join(f"{_cell(s, name)}\n" for s in sentences) for name, sentences in lines.items()}


def _tatoeba_target(path: str) -> str:
    return str(Path(path).with_suffix(".eng"))


def _bucc(corpus: BitextCorpus, path: str, options: dict) -> dict[str, str]:
    """`<l>-en.<split>.<l>`, `.en` (`id<TAB>sentence`) and `.gold` (`l-id<TAB>en-id`)."""
    source_path, target_path, gold_path = _bucc_paths(path)
    return {
        source_path: "".join(f"{i}\t{_cell(s, source_path)}\n" for i, s in corpus.source.items()),
        target_path: "".join(f"{i}\t{_cell(s, target_path)}\n" for i, s in corpus.target.items()),
        gold_path: "".join(f"{s}\t{t}\n" for s, t in corpus.gold),
    }


def _bucc_paths(path: str) -> list[str]:
    prefix = Path(path).with_suffix("")
    return [path, f"{prefix}.en", f"{prefix}.gold"]


def _jsonl(records: Iterable[dict]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def _snli_jsonl(examples: Sequence[ClassificationExample], path: str, options: dict) -> dict[str, str]:
    # The ids go in pairID: line numbers would shift where the hub left out '-' pairs.
    return {path: _jsonl({"pairID": e.id, "sentence1": e.text_a, "sentence2": e.text_b, "gold_label": e.label}
                         for e in examples)}


def _anli_jsonl(examples: Sequence[ClassificationExample], path: str, options: dict) -> dict[str, str]:
    letters = {name: letter for letter, name in ANLI_LABEL_MAP.items()}  # ANLI writes e/n/c
    return {path: _jsonl({"uid": e.id, "context": e.text_a, "hypothesis": e.text_b,
                          "label": letters.get(e.label, e.label)} for e in examples)}


def _hellaswag_jsonl(examples: Sequence[ChoiceExample], path: str, options: dict) -> dict[str, str]:
    return {path: _jsonl({"ind": e.id, "ctx_a": e.context, "ctx_b": e.question, "endings": list(e.choices),
                          "label": "" if e.label is None else e.label} for e in examples)}


def _commonsenseqa_jsonl(examples: Sequence[ChoiceExample], path: str, options: dict) -> dict[str, str]:
    """The Hugging Face layout; choices are keyed A, B, C, ... (the answer key names one)."""
    def record(e: ChoiceExample) -> dict:
        keys = [chr(ord("A") + i) for i in range(len(e.choices))]
        answer = "" if e.label is None else keys[e.label]
        return {"id": e.id, "question": e.question, "choices": {"label": keys, "text": list(e.choices)}, "answerKey": answer}

    return {path: _jsonl(record(e) for e in examples)}


def _cosmosqa_csv(examples: Sequence[ChoiceExample], path: str, options: dict) -> dict[str, str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "context", "question", *(f"answer{i}" for i in range(4)), "label"])
    for e in examples:
        writer.writerow([e.id, e.context, e.question, *e.choices, "" if e.label is None else e.label])
    return {path: buffer.getvalue()}


@dataclass(frozen=True)
class Writer:
    write: Callable[..., dict[str, str]]
    companions: Callable[[str], list[str]] | None = None  # every file one split writes, from its path
    rows_are_lines: bool = False  # the MANIFEST's rows: lines of the file, else examples

    def paths(self, path: str) -> list[str]:
        return self.companions(path) if self.companions else [path]


WRITERS: dict[str, Writer] = {
    "xtreme_pair_tsv": Writer(_pair_tsv),
    "glue_tsv": Writer(_glue_tsv),
    "xtreme_tagging_tsv": Writer(_tagging_tsv),
    "squad_json": Writer(_squad_json),
    "tatoeba": Writer(_tatoeba, lambda path: [path, _tatoeba_target(path)], rows_are_lines=True),
    "bucc": Writer(_bucc, _bucc_paths, rows_are_lines=True),
    "snli_jsonl": Writer(_snli_jsonl),
    "anli_jsonl": Writer(_anli_jsonl),
    "hellaswag_jsonl": Writer(_hellaswag_jsonl),
    "commonsenseqa_jsonl": Writer(_commonsenseqa_jsonl),
    "cosmosqa_csv": Writer(_cosmosqa_csv),
}
