"""Check a run's inputs before any training starts, so bad input costs seconds, not hours.

First, before any file is parsed, every split the trial reads must have a source
(`check_data`): a missing folder, a missing split, a file whose labels XTREME's download script
blanked, or BUCC without its gold pairs is one line naming the path it looked for and the
command that fetches the data. Building the trial graph then reads every split the run touches
(readers raise DataError with file:line), resolves the model source and checks every slice has
examples. Preflight adds what the graph does not need: nothing trained on is evaluated through
another task (the overlap guard by content), the checkpoint's config and weight headers parse,
settings that depend on the model (the retrieval layer) fit it, and the output folders (work
dir, store, cache) can be written, so a read-only or misplaced path fails before training.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from safetensors import SafetensorError, safe_open

from xstilts.config import RunConfig
from xstilts.data.splits import SplitRef, split_origin
from xstilts.errors import ConfigError
from xstilts.models.sources import SOURCE_KEY
from xstilts.pipeline.graph import TrialGraph
from xstilts.pipeline.overlap import check_no_overlap
from xstilts.pipeline.reads import english_of, reported_as
from xstilts.tasks.registry import get_task, one_snapshot
from xstilts.tasks.spec import SplitSource, TaskSpec

# google-research/xtreme scripts/download_data.sh (utils_preprocess.py) blanks these for users.
BLANKED_BY_XTREME = "XTREME's download script blanks the test labels of PAWS-X, XNLI, PAN-X, UD-POS, XQuAD and MLQA"
# What utils_preprocess.remove_qa_test_annotations writes for every question (json.dump spacing).
_BLANKED_ANSWERS = re.compile(r'"answers":\s*\[\s*\{\s*"answer_start":\s*0,\s*"text":\s*""\s*\}\s*\]')
_SNIFF_BYTES = 1 << 20


def fetch_hint(data_dir: Path, config_file: str | None = None, tasks: tuple[str, ...] = ()) -> str:
    """The `xstilts data download` command that writes what is missing: every task a run config
    reads, and/or the named tasks (one place, so every message agrees)."""
    wanted = [f"--for-config {config_file}"] if config_file else []
    wanted += [f"--tasks {','.join(tasks)}"] if tasks else []
    return f"fetch it with: xstilts data download {' '.join(wanted or ['--for-config CONFIG'])} --out {data_dir}"


@dataclass(frozen=True)
class _Need:
    key: str  # the config key that names the split
    ref: SplitRef
    languages: tuple[str, ...]  # trained/selected: the one read; evaluated: the wanted ones (empty = all)
    evaluated: bool  # scored in every language found (else trained or selected on)


def _english(ref: SplitRef, key: str) -> tuple[str, ...]:
    with reported_as(key):
        return (english_of(ref),)


def _needs(config: RunConfig) -> Iterator[_Need]:
    """What the trial graph will read, in its order, before anything is read."""
    inter = config.intermediate
    for name in inter.task_names():
        ref = SplitRef.parse(inter.train_split, name, "intermediate.train_split")
        yield _Need("intermediate.train_split", ref, _english(ref, "intermediate.train_split"), False)
    if inter.dev_split and inter.task_names():
        ref = SplitRef.parse(inter.dev_split, inter.task_names()[0], "intermediate.dev_split")
        yield _Need("intermediate.dev_split", ref, _english(ref, "intermediate.dev_split"), False)
    for task, cfg in config.targets.items():
        spec, prefix = get_task(task), f"targets.{task}"
        if cfg.model_from is None and spec.kind != "retrieval":
            text = cfg.train_split or spec.english_train  # none: the graph names the key to set
            if text:
                ref = SplitRef.parse(text, task, f"{prefix}.train_split")
                yield _Need(f"{prefix}.train_split", ref, _english(ref, f"{prefix}.train_split"), False)
            if cfg.dev_split:
                yield _Need(f"{prefix}.dev_split", SplitRef.parse(cfg.dev_split, task, f"{prefix}.dev_split"), ("en",), False)
        ref = SplitRef.parse(cfg.eval_split, task, f"{prefix}.eval_split")
        yield _Need(f"{prefix}.eval_split", ref, tuple(cfg.languages or ()), True)


def _looked_for(spec: TaskSpec, split: str, languages: tuple[str, ...], data_dir: Path) -> str:
    """The path(s) a split's files would have: one language's, else the pattern with {lang}."""
    lang = languages[0]
    source = next((s for s in spec.sources(split) if lang in (s.languages or spec.languages)), spec.sources(split)[0])
    if len(languages) > 1:
        return str(data_dir / source.pattern)
    return str(data_dir / source.pattern.format(lang=lang, code=spec.lang_codes.get(lang, lang)))


def _first_line(path: Path) -> list[str]:
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.strip():
                return line.rstrip("\r\n").split("\t")
    return []


def _missing_labels(source: SplitSource, path: Path) -> str | None:
    """Why a file cannot be trained or scored on (its labels blanked, BUCC's gold absent), else
    None. Only the first line (QA: the first MiB) is looked at; the readers check the rest."""
    if source.format == "bucc":
        prefix = path.with_suffix("")
        gold = prefix.with_name(prefix.name + ".gold")
        return None if gold.is_file() else f"BUCC gold pairs file missing: {gold} (XTREME's download removes the test gold)"
    if source.format == "xtreme_pair_tsv" and len(_first_line(path)) == 2:
        return f"{path} has no label column ({BLANKED_BY_XTREME})"
    if source.format == "xtreme_tagging_tsv" and len(_first_line(path)) == 1:
        return f"{path} has no tag column ({BLANKED_BY_XTREME})"
    if source.format == "squad_json":
        with open(path, encoding="utf-8", errors="replace") as handle:
            if _BLANKED_ANSWERS.search(handle.read(_SNIFF_BYTES)):
                return f"{path} has its answers blanked ({BLANKED_BY_XTREME})"
    return None


def _check_need(need: _Need, data_dir: Path, data_source: str) -> None:
    spec, split = get_task(need.ref.task), need.ref.split
    hint = fetch_hint(data_dir, tasks=(need.ref.task,))
    langs = need.languages or tuple(spec.split_languages(split))
    origins = {lang: split_origin(spec, data_dir, split, lang, data_source) for lang in langs}
    if not any(origins.values()):
        which = f"({langs[0]})" if len(langs) == 1 else f"in any of its {len(langs)} languages"
        hub = "" if data_source == "files" else f" and the hub has no such split ({spec.hub.id if spec.hub else 'no hub entry'})"
        raise ConfigError(need.key, f"no files for {need.ref.task}:{split} {which}: looked for "
                          f"{_looked_for(spec, split, langs, data_dir)}{hub}; {hint}")
    for lang in (lang for lang, origin in origins.items() if origin == "files"):
        for path, source in spec.files(data_dir, split, lang):
            problem = _missing_labels(source, path)
            if problem:
                other = f"set {need.key}=dev or " if need.evaluated and split != "dev" and "dev" in spec.splits else ""
                raise ConfigError(need.key, f"{problem}; {other}put labelled files there ({hint})")


def check_data(config: RunConfig, config_file: str | None = None, seen: set | None = None,
               tasks: tuple[str, ...] = ()) -> None:
    """Every split the trial reads has a source (files under data_dir, or the hub where
    ``data_source`` allows it), and every file it reads has labels. A missing folder names the
    download of ``config_file`` plus ``tasks`` (a sweep's grid adds tasks); a missing split, its
    task. ``seen`` carries what was already checked across the trials of a sweep."""
    data_dir, source = config.resolved_data_dir(), config.data_source
    if source == "files" and not data_dir.is_dir():
        raise ConfigError("data_dir", f"data folder not found: {data_dir}; {fetch_hint(data_dir, config_file, tasks)}")
    seen = set() if seen is None else seen
    for need in _needs(config):
        if (data_dir, source, need) not in seen:
            with reported_as(need.key):
                _check_need(need, data_dir, source)
            seen.add((data_dir, source, need))


def _check_model(graph: TrialGraph) -> None:
    """The checkpoint's config and every weight file's header parse (cheap: no tensor is read)."""
    from transformers import AutoConfig  # here: planning a sweep checks data without loading torch

    path = graph.model_dir
    try:
        config = AutoConfig.from_pretrained(path)
        for weights in sorted(path.glob("*.safetensors")):
            with safe_open(str(weights), framework="pt"):
                pass
    except (OSError, ValueError, SafetensorError) as err:
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise ConfigError(SOURCE_KEY, f"cannot read the checkpoint in '{path}': {reason}") from None
    layer, layers = graph.config.model.retrieval_layer, getattr(config, "num_hidden_layers", None)
    if layer is not None and layers is not None and not 0 <= layer <= layers:
        raise ConfigError("model.retrieval_layer", f"{layer} is not a layer of this encoder (0-{layers})")


def _check_writable(folder: Path, key: str) -> None:
    """A probe file in the folder, or in its nearest existing parent when it does not exist yet
    (nothing is created for a run that may still fail; as root, permission bits prove nothing)."""
    existing = Path(folder).absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(key, f"cannot write to '{folder}': '{existing}' is not a folder")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as err:
        raise ConfigError(key, f"cannot write to '{folder}': {err.strerror or err}") from None


def _check_outputs(graph: TrialGraph) -> None:
    store = Path(graph.config.store)
    if store.is_dir():
        raise ConfigError("store", f"'{store}' is a folder; give the path of an SQLite file")
    _check_writable(store.parent, "store")
    _check_writable(Path(graph.config.work_dir), "work_dir")
    _check_writable(graph.cache_dir, "model.cache_dir")


def preflight(config: RunConfig, graph: TrialGraph | None = None, config_file: str | None = None) -> TrialGraph:
    """The trial's graph, once its inputs and outputs are known to be usable. ``config_file``
    names the config in the command that fetches missing data."""
    with one_snapshot():  # the checks look tasks up thousands of times: read the specs once
        if graph is None:
            check_data(config, config_file)
            graph = TrialGraph.build(config)
        check_no_overlap(graph.nodes, graph.data_dir)
        _check_model(graph)
        _check_outputs(graph)
    return graph
