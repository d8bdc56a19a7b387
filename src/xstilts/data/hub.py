"""Task splits loaded from the Hugging Face hub through `datasets`, for users who are online.

A spec's `hub` entry names the dataset, its config (with {lang}, {code} or {name} filled in per
language), the hub split behind each of our splits, and which hub column feeds which example
field. Rows become the same example types the file readers return, with the ids the file
reader gives the same examples written in the spec's file layout (see `HubRows.ids`), so a split
read from the hub and the same split downloaded to files have the same fingerprint.

`$XSTILTS_HUB_MIRROR=<dir>` reads `<owner>/<name>` from `<dir>/<owner>/<name>` (a folder laid out
as the hub repo: parquet files and README `configs:` metadata) through the same
`load_dataset(path, config, split=...)` call: offline tests and air-gapped machines.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from xstilts.data.examples import (
    Answer,
    BitextCorpus,
    ChoiceExample,
    ClassificationExample,
    Example,
    SpanExample,
    TaggingExample,
)
from xstilts.data.readers._common import ExampleList, unique_ids
from xstilts.errors import ConfigError, DataError
from xstilts.tasks.spec import HubSource, TaskSpec

Row = Mapping[str, Any]
Loader = Callable[..., Any]  # datasets.load_dataset(path, name, split=...) -> datasets.Dataset
MIRROR_ENV = "XSTILTS_HUB_MIRROR"
# Formats whose files open with a header row: the file reader numbers data rows from line 2.
HEADER_LINES = {"glue_tsv": 1, "pawsx_final_tsv": 1, "cosmosqa_csv": 1, "anli_csv": 1}


@dataclass(frozen=True)
class HubRows:
    """One loaded hub split: its rows (skipped labels left out) and what mapping them needs."""

    spec: TaskSpec
    columns: Mapping[str, Any]  # example field -> hub column(s), from spec.hub.columns
    features: Mapping[str, Any]  # hub column -> datasets feature (ClassLabel names live here)
    rows: list[tuple[int, Row]]  # (row index in the hub split, row)
    where: str  # names the dataset, config and split in error messages
    split: str  # ours, not the hub's
    lang: str
    stem: str = ""  # the stem of the split's file under the spec's pattern (e.g. dev-de)

    def ids(self, lines: Sequence[int] | None = None) -> list[str]:
        """The dataset's own ids (the `id` field) if present and unique, else '<stem>:<line>'.

        The fallback is the id the file reader gives the example on that line of the split's
        file in the spec's layout (`dev-de:7`); `lines` defaults to one example per line after
        the format's header, as in PAWS-X, XNLI and GLUE files.
        """
        id_column = self.columns.get("id")
        own = [row[id_column] if id_column else None for _, row in self.rows]
        if lines is None:
            first = 1 + HEADER_LINES.get(self.spec.sources(self.split)[0].format, 0)
            lines = [index + first for index, _ in self.rows]
        return unique_ids(own, [f"{self.stem}:{line}" for line in lines])

    def text(self, row: Row, field: str) -> str:
        """The row's value for an optional text field; '' when the spec maps no column to it."""
        column = self.columns.get(field)
        return row[column] if column else ""

    def error(self, index: int, message: str) -> DataError:
        return DataError(self.where, None, f"row {index}: {message}")


def hub_config_name(spec: TaskSpec, lang: str) -> str | None:
    """The hub config for one language: `hub.config` with {lang}, {code} and {name} filled in."""
    hub = _hub_source(spec)
    if hub.config is None:
        return None
    if "{name}" in hub.config and lang not in hub.names:
        raise ConfigError(f"{spec.name}.hub.names", f"no hub config name for language {lang!r}")
    values = {"lang": lang, "code": spec.lang_codes.get(lang, lang), "name": hub.names.get(lang, lang)}
    try:
        return hub.config.format_map(values)
    except (KeyError, ValueError, IndexError) as err:
        message = f"{hub.config!r} is not a config pattern ({err}); it may use {{lang}}, {{code}}, {{name}}"
        raise ConfigError(f"{spec.name}.hub.config", message) from None


def load_hub_split(
    spec: TaskSpec, split: str, lang: str, *, load: Loader | None = None
) -> list[Example] | BitextCorpus:
    """One split of a task in one language, from the hub.

    `load` defaults to `datasets.load_dataset` (imported on first use: it takes a second);
    tests pass a stand-in returning in-memory datasets. Loading failures (offline, unknown
    dataset, config or split) are one-line ConfigErrors naming the dataset.
    """
    hub = _hub_source(spec)
    if split not in hub.splits:
        message = f"task {spec.name!r} names no hub split for {split!r}; it has {sorted(hub.splits)}"
        raise ConfigError(f"{spec.name}.hub.splits", message)
    if lang not in spec.languages:
        raise ConfigError(f"{spec.name}.languages", f"task {spec.name!r} has no language {lang!r}")
    validate_hub_columns(spec)
    config = hub_config_name(spec, lang)
    where = _where(hub, config, split)
    dataset = _load_dataset(spec, hub, config, hub.splits[split], where, load)
    _check_columns_exist(spec, hub.columns, dataset.column_names, where)
    dataset = _language_rows(spec, lang, dataset, where)
    rows, skipped = _kept_rows(dataset, hub.columns.get("label"), hub.skip_labels)
    table = HubRows(spec, hub.columns, dataset.features, rows, where, split, lang, _file_stem(spec, split, lang))
    mapped = KIND_MAPPINGS[spec.kind].build(table)
    return mapped if isinstance(mapped, BitextCorpus) else ExampleList(mapped, skipped=skipped)


def hub_dataset(spec: TaskSpec, split: str, lang: str) -> Any:
    """The loaded hub split behind one of our splits, before mapping (cached per process)."""
    hub = _hub_source(spec)
    config = hub_config_name(spec, lang)
    return _load_dataset(spec, hub, config, hub.splits[split], _where(hub, config, split), None)


def _where(hub: HubSource, config: str | None, split: str) -> str:
    """The dataset, config and hub split, for error messages: 'google/xtreme (PAN-X.de, validation)'."""
    return f"{hub.id} ({', '.join(filter(None, (config, hub.splits[split])))})"


def hub_provides(spec: TaskSpec, split: str, lang: str) -> bool:
    """Whether the spec's hub entry names this split and a config for this language."""
    hub = spec.hub
    if hub is None or split not in hub.splits or lang not in spec.split_languages(split):
        return False
    return "{name}" not in (hub.config or "") or lang in hub.names


def mixes_languages(spec: TaskSpec) -> bool:
    """A hub config without a language in its name that serves several languages (TyDiQA-GoldP's
    `tydiqa` holds all nine): its rows are filtered by language."""
    config = _hub_source(spec).config or ""
    return len(spec.languages) > 1 and not any(key in config for key in ("{lang}", "{code}", "{name}"))


def _language_rows(spec: TaskSpec, lang: str, dataset: Any, where: str) -> Any:
    """The rows of one language from a config that mixes languages.

    TyDiQA-GoldP ids open with the language's English name ('finnish-9221...-0'), which
    `hub.names` gives per language; rows keep their order.
    """
    if not mixes_languages(spec):
        return dataset
    hub = _hub_source(spec)
    if lang not in hub.names or "id" not in hub.columns:
        message = f"{where} mixes languages: name each language's id prefix in hub.names and map hub.columns.id"
        raise ConfigError(f"{spec.name}.hub.names", message)
    prefix = f"{hub.names[lang]}-"
    keep = [i for i, row_id in enumerate(dataset[hub.columns["id"]]) if str(row_id).startswith(prefix)]
    return dataset.select(keep)


def _file_stem(spec: TaskSpec, split: str, lang: str) -> str:
    """The stem of the file the spec's first source names for this split and language."""
    pattern = spec.sources(split)[0].pattern
    return Path(pattern.format(lang=lang, code=spec.lang_codes.get(lang, lang))).stem


def hub_path(hub_id: str) -> str:
    """What `load_dataset` is given for a hub id: the id, or its folder in $XSTILTS_HUB_MIRROR."""
    mirror = os.environ.get(MIRROR_ENV)
    return str(Path(mirror) / hub_id) if mirror else hub_id


def dataset_revision(dataset: Any) -> str:
    """The revision a loaded split came from: the folder `datasets` caches it under, named by the
    hub commit it resolved (or, for a local folder, by a hash of its files)."""
    files = getattr(dataset, "cache_files", None) or []
    return Path(files[0]["filename"]).parent.name if files else "in-memory"


def validate_hub_columns(spec: TaskSpec) -> None:
    """The spec's `hub.columns` names every field its kind needs and no field the kind lacks."""
    hub = _hub_source(spec)
    mapping = KIND_MAPPINGS[spec.kind]
    key = f"{spec.name}.hub.columns"
    for field in mapping.required:
        if field not in hub.columns:
            raise ConfigError(key, f"a {spec.kind} task needs a column for {field!r}")
    for field in hub.columns:
        if field not in mapping.required + mapping.optional:
            takes = ", ".join(mapping.required + mapping.optional)
            raise ConfigError(key, f"a {spec.kind} task has no field {field!r} (it takes: {takes})")


def _hub_source(spec: TaskSpec) -> HubSource:
    if spec.hub is None:
        raise ConfigError(f"{spec.name}.hub", f"task {spec.name!r} names no Hugging Face dataset")
    return spec.hub


def _load_dataset(
    spec: TaskSpec, hub: HubSource, config: str | None, hub_split: str, where: str, load: Loader | None
) -> Any:
    from datasets.exceptions import DatasetsError

    try:
        if load is not None:
            return load(hub.id, config, split=hub_split)
        return _cached_load(hub_path(hub.id), config, hub_split)
    except (OSError, ValueError, DatasetsError) as err:  # offline, HTTP, unknown config/split
        text = str(err).strip()
        reason = text.splitlines()[0] if text else type(err).__name__
        message = (
            f"cannot load {where} from the Hugging Face hub ({type(err).__name__}: {reason}); "
            "offline, read the task from files under the data dir instead"
        )
        raise ConfigError(f"{spec.name}.hub", message) from None


@lru_cache(maxsize=64)
def _cached_load(path: str, config: str | None, hub_split: str) -> Any:
    # One load per split and process: planning, the phase and the overlap guard read the same
    # split; across processes the datasets cache (HF_DATASETS_CACHE) keeps the Arrow files.
    from datasets import load_dataset  # imported only here: it takes a second

    return load_dataset(path, config, split=hub_split)


def _check_columns_exist(
    spec: TaskSpec, columns: Mapping[str, Any], present: Sequence[str], where: str
) -> None:
    for field, named in columns.items():
        for column in named if isinstance(named, list) else [named]:
            if column not in present:
                message = f"column {column!r} (for {field!r}) is not in {where}; it has {', '.join(present)}"
                raise ConfigError(f"{spec.name}.hub.columns.{field}", message)


def _kept_rows(
    dataset: Any, label_column: str | None, skip_labels: Sequence[Any]
) -> tuple[list[tuple[int, Row]], int]:
    """Rows with their indices, leaving out those whose label the spec skips (SNLI's -1)."""
    rows = list(enumerate(dataset.to_list() if hasattr(dataset, "to_list") else dataset))
    if label_column is None or not skip_labels:
        return rows, 0
    kept = [(index, row) for index, row in rows if row[label_column] not in skip_labels]
    return kept, len(rows) - len(kept)


def _class_names(feature: Any) -> list[str] | None:
    """A ClassLabel's names (None for plain values): integer labels are indices into them."""
    names = getattr(feature, "names", None)
    return list(names) if names is not None else None


# --- one mapping per task kind ---------------------------------------------------------------


def _classification(table: HubRows) -> list[ClassificationExample]:
    label_of = _label_decoder(table)
    text_a, text_b = table.columns["text_a"], table.columns.get("text_b")
    return [
        ClassificationExample(example_id, row[text_a], row[text_b] if text_b else None, label_of(index, row))
        for example_id, (index, row) in zip(table.ids(), table.rows)
    ]


def _label_decoder(table: HubRows) -> Callable[[int, Row], str | None]:
    """Turns a row's label cell into one of the spec's labels.

    Integer labels are ClassLabel indices, named by the class names when those are the spec's
    labels. GLUE SST-2 and QQP name their classes (negative/positive, not_duplicate/duplicate)
    where the GLUE TSVs, and so the specs, write 0/1: then the index itself is the label.
    """
    column = table.columns.get("label")
    labels = table.spec.labels
    names = _class_names(table.features[column]) if column else None
    if names is not None and labels is not None and not set(names) <= set(labels):
        names = [str(index) for index in range(len(names))]
    by_index = dict(enumerate(names)) if names is not None else None

    def label_of(index: int, row: Row) -> str | None:
        raw = row[column] if column else None
        if raw is None or raw == "":
            return None
        label = by_index.get(raw) if by_index is not None else str(raw)
        if label is None or (labels is not None and label not in labels):
            expected = ", ".join(labels) if labels is not None else f"a class index below {len(by_index)}"
            raise table.error(index, f"unknown label {raw!r}; expected one of: {expected}")
        return label

    return label_of


def _multiple_choice(table: HubRows) -> list[ChoiceExample]:
    examples = []
    for example_id, (index, row) in zip(table.ids(), table.rows):
        texts, keys = _choice_cells(row, table.columns["choices"])
        raw = row[table.columns["label"]] if "label" in table.columns else None
        examples.append(
            ChoiceExample(
                example_id,
                table.text(row, "context"),
                table.text(row, "question"),
                tuple(texts),
                _choice_index(table, index, raw, keys, len(texts)),
            )
        )
    return examples


# Choices come as one column per answer (Cosmos QA answer0..3), one list column (HellaSwag
# endings) or one {label, text} column (CommonsenseQA), whose labels the answer key names.
CHOICE_CELLS: dict[type, Callable[[Any], tuple[list[str], list[str] | None]]] = {
    list: lambda cell: (list(cell), None),
    dict: lambda cell: (list(cell["text"]), list(cell["label"])),
}


def _choice_cells(row: Row, choices: str | list[str]) -> tuple[list[str], list[str] | None]:
    cell = [row[column] for column in choices] if isinstance(choices, list) else row[choices]
    return CHOICE_CELLS[type(cell)](cell)


def _choice_index(table: HubRows, index: int, raw: Any, keys: list[str] | None, n_choices: int) -> int | None:
    """A label given as an index, a digit string (HellaSwag) or a choice key (CommonsenseQA 'C')."""
    if raw is None or raw == "":
        return None
    if keys is not None and raw in keys:
        choice = keys.index(raw)
    elif isinstance(raw, int) and not isinstance(raw, bool):
        choice = raw
    elif isinstance(raw, str) and raw.strip().isdigit():
        choice = int(raw)
    else:
        raise table.error(index, f"label {raw!r:.40} is neither a choice index nor a choice key")
    if not 0 <= choice < n_choices:
        raise table.error(index, f"label {raw!r} is out of range for {n_choices} choices")
    return choice


def _span_extraction(table: HubRows) -> list[SpanExample]:
    columns = table.columns
    examples = []
    for example_id, (index, row) in zip(table.ids(), table.rows):
        context = row[columns["context"]]
        answers = _answers(table, index, row[columns["answers"]], context)
        examples.append(
            SpanExample(
                example_id,
                row[columns["question"]],
                context,
                answers,
                is_impossible=not answers,  # SQuAD v2 on the hub: an empty answer list
                title=table.text(row, "title"),
            )
        )
    return examples


def _answers(table: HubRows, index: int, cell: Mapping[str, list], context: str) -> tuple[Answer, ...]:
    """SQuAD-layout `{text: [...], answer_start: [...]}`, each start checked against the context."""
    texts, starts = cell["text"], cell["answer_start"]
    if len(texts) != len(starts):
        raise table.error(index, f"{len(texts)} answer texts but {len(starts)} answer starts")
    for text, start in zip(texts, starts):
        if context[start : start + len(text)] != text:
            raise table.error(index, f"answer_start {start} does not point at the answer {text!r:.60}")
    return tuple(Answer(text, start) for text, start in zip(texts, starts))


def _tagging(table: HubRows) -> list[TaggingExample]:
    tokens_column, tags_column = table.columns["tokens"], table.columns["tags"]
    # PAN-X ner_tags and UD-POS pos_tags are lists of ClassLabel indices.
    names = _class_names(getattr(table.features[tags_column], "feature", None))
    by_index = dict(enumerate(names)) if names is not None else None
    examples = []
    for example_id, (index, row) in zip(table.ids(_sentence_lines(table, tokens_column)), table.rows):
        tokens, raw_tags = row[tokens_column], row[tags_column]
        if len(tokens) != len(raw_tags):
            raise table.error(index, f"{len(tokens)} tokens but {len(raw_tags)} tags")
        tags = tuple(by_index.get(tag) if by_index is not None else str(tag) for tag in raw_tags)
        _check_tags(table, index, raw_tags, tags)
        examples.append(TaggingExample(example_id, tuple(tokens), tags))
    return examples


def _sentence_lines(table: HubRows, tokens_column: str) -> list[int]:
    """The line each sentence starts on in the XTREME layout (a token per line, one blank line
    between sentences): the tagging reader names a sentence by that line."""
    lines, line = [], 1
    for _, row in table.rows:
        lines.append(line)
        line += len(row[tokens_column]) + 1
    return lines


def _check_tags(table: HubRows, index: int, raw_tags: Sequence[Any], tags: Sequence[str | None]) -> None:
    labels = table.spec.labels
    for raw, tag in zip(raw_tags, tags):
        if tag is None or (labels is not None and tag not in labels):
            expected = ", ".join(labels) if labels is not None else "a class index of the tag feature"
            raise table.error(index, f"unknown tag {raw!r}; expected one of: {expected}")


def _retrieval(table: HubRows) -> BitextCorpus:
    """Aligned sentence pairs: row i pairs its source and target sentence (the gold pair).

    Sentence ids are the `source_id`/`target_id` columns when mapped, else the row index
    ("0", "1", ...), as the Tatoeba file reader numbers lines.
    """
    source_ids = _sentence_ids(table, "source_id")
    target_ids = _sentence_ids(table, "target_id")
    source = dict(zip(source_ids, _sentences(table, "source")))
    target = dict(zip(target_ids, _sentences(table, "target")))
    source_lang = table.spec.lang_codes.get(table.lang, table.lang)
    gold = tuple(zip(source_ids, target_ids))
    return BitextCorpus(source_lang, _english_like(source_lang), source, target, gold)


def _sentence_ids(table: HubRows, field: str) -> list[str]:
    column = table.columns.get(field)
    return [str(row[column]) if column else str(index) for index, row in table.rows]


def _sentences(table: HubRows, field: str) -> list[str]:
    # google/xtreme's tatoeba builder kept each file line's newline in the sentence.
    column = table.columns[field]
    return [row[column].rstrip("\r\n") for _, row in table.rows]


def _english_like(source_code: str) -> str:
    # XTREME pairs every retrieval language with English; Tatoeba names languages by ISO 639-3
    # codes (tatoeba.pes-eng.*), BUCC by ISO 639-1 (de-en.*). Write English the same way.
    return "eng" if len(source_code) == 3 else "en"


@dataclass(frozen=True)
class KindMapping:
    """How rows of one task kind become examples, and the example fields `hub.columns` may map."""

    build: Callable[[HubRows], list[Any] | BitextCorpus]
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


KIND_MAPPINGS: dict[str, KindMapping] = {
    "classification": KindMapping(_classification, ("text_a",), ("text_b", "label", "id")),
    "pair_classification": KindMapping(_classification, ("text_a", "text_b"), ("label", "id")),
    "multiple_choice": KindMapping(_multiple_choice, ("choices",), ("context", "question", "label", "id")),
    "span_extraction": KindMapping(_span_extraction, ("question", "context", "answers"), ("id", "title")),
    "tagging": KindMapping(_tagging, ("tokens", "tags"), ("id",)),
    "retrieval": KindMapping(_retrieval, ("source", "target"), ("source_id", "target_id")),
}
