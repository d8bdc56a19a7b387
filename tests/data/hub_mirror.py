"""A local folder laid out as the Hugging Face hub repos are, built from the shared pack.

`build_hub_mirror(pack, out)` writes `<out>/<owner>/<name>/README.md` (the `configs:` YAML
metadata the hub's parquet repos carry) and `<out>/<owner>/<name>/<config>/<split>-00000-of-00001.parquet`
for small slices of the pack (stand-ins from dev where a train file is large or absent:
SQuAD, SST-2): `datasets.load_dataset(<out>/<owner>/<name>, <config>, split=...)`
then reads them exactly as it reads the hub repo, and `$XSTILTS_HUB_MIRROR=<out>` points xstilts
at it. Columns and feature types follow the hub datasets (see test_hub.py's docstring): PAWS-X
label a string, XNLI and SST-2 labels ClassLabel, PAN-X/UD-POS tags lists of ClassLabel, QA
answers {text, answer_start}. Rows are the pack's examples mapped back through the spec's
`hub.columns`, so they are the pack's content in the hub's layout.

Where the hub's layout cannot hold what the pack's files hold, the mirror is the hub's:
google/xquad and facebook/mlqa carry no titles; google/xtreme's `tydiqa` config mixes nine
languages under ids like 'english-<n>', so its English rows are the pack's TyDiQA train with
such ids, interleaved with stand-in 'arabic-<n>' rows (XQuAD ar questions: the pack has no
Arabic TyDiQA) for the language filter to remove.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import datasets.config
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from datasets import ClassLabel, Features, List, Value

from xstilts.data.examples import ClassificationExample, SpanExample, TaggingExample
from xstilts.data.hub import MIRROR_ENV, hub_config_name
from xstilts.data.splits import read_split
from xstilts.tasks.registry import get_task
from xstilts.tasks.spec import TaskSpec

STRING = Value("string")
NLI = ["entailment", "neutral", "contradiction"]
PANX_TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
ANSWERS = {"text": List(STRING), "answer_start": List(Value("int32"))}
SQUAD = {"id": STRING, "title": STRING, "context": STRING, "question": STRING, "answers": ANSWERS}
FEATURES = {
    "pawsx": {"sentence1": STRING, "sentence2": STRING, "label": STRING},
    "xnli": {"premise": STRING, "hypothesis": STRING, "label": ClassLabel(names=NLI)},
    "panx": {"tokens": List(STRING), "ner_tags": List(ClassLabel(names=PANX_TAGS)), "langs": List(STRING)},
    "udpos": {"tokens": List(STRING), "pos_tags": List(ClassLabel(names=get_task("udpos").labels))},
    "xquad": {"id": STRING, "context": STRING, "question": STRING, "answers": ANSWERS},
    "mlqa": {"context": STRING, "question": STRING, "answers": ANSWERS, "id": STRING},
    "tydiqa": SQUAD,
    "squad": SQUAD,
    "sst2": {"sentence": STRING, "label": ClassLabel(names=["negative", "positive"]), "idx": Value("int32")},
}
# The rajpurkar/squad repo names its one config plain_text and marks it the default.
DEFAULT_CONFIG = {"squad": "plain_text"}


@dataclass(frozen=True)
class Part:
    """Rows [start, stop) of one pack split, served as the hub split the spec maps `split` to."""

    task: str
    split: str
    lang: str
    stop: int
    start: int = 0
    pack_split: str | None = None  # a pack split standing in where the pack lacks `split`


PARTS = (
    Part("pawsx", "dev", "en", 120), Part("pawsx", "dev", "de", 120), Part("pawsx", "dev", "fr", 8),
    Part("xnli", "dev", "en", 120), Part("xnli", "dev", "de", 120), Part("xnli", "dev", "sw", 8),
    Part("panx", "train", "en", 12), Part("panx", "dev", "en", 10), Part("panx", "dev", "de", 10),
    Part("udpos", "dev", "en", 8), Part("udpos", "test", "fr", 8),
    Part("xquad", "test", "en", 8), Part("xquad", "test", "de", 8),
    Part("mlqa", "dev", "en", 8), Part("mlqa", "dev", "de", 8),
    Part("squad", "dev", "en", 8), Part("squad", "train", "en", 40, 8, pack_split="dev"),
    Part("sst2", "train", "en", 36, 12, pack_split="dev"), Part("sst2", "dev", "en", 12),
)
# Tasks whose every hub split in the mirror covers exactly the languages listed above.
MIRRORED = ("pawsx", "xnli", "panx", "udpos", "xquad", "mlqa", "squad", "sst2")


def build_hub_mirror(pack: Path, out: Path) -> Path:
    configs: dict[str, dict[str, dict[str, str]]] = {}  # repo -> config -> hub split -> file
    for part in PARTS:
        spec = get_task(part.task)
        examples = read_split(spec, pack, part.pack_split or part.split, part.lang)[part.start:part.stop]
        assert len(examples) == part.stop - part.start, f"the pack lacks {part}"
        rows = [hub_row(spec, example) for example in examples]
        if part.task == "panx":
            rows = [{**row, "langs": [part.lang] * len(row["tokens"])} for row in rows]
        if part.task == "sst2":
            rows = [{**row, "idx": index} for index, row in enumerate(rows)]
        config = hub_config_name(spec, part.lang) or DEFAULT_CONFIG.get(part.task, "default")
        _write_split(out, spec.hub.id, config, spec.hub.splits[part.split], rows, FEATURES[part.task], configs)
    _tydiqa(pack, out, configs)
    for repo, by_config in configs.items():
        _readme(out / repo, by_config)
    return out


def hub_row(spec: TaskSpec, example) -> dict:
    """The example as a hub row: each field in the column the spec's `hub.columns` names."""
    feature_of = FEATURES[spec.name]
    row = {}
    for field, column in spec.hub.columns.items():
        value = getattr(example, field)
        feature = feature_of[column]
        if isinstance(example, SpanExample) and field == "answers":
            value = {"text": [a.text for a in value], "answer_start": [a.start for a in value]}
        elif isinstance(example, TaggingExample) and field == "tags":
            value = [feature.feature.names.index(tag) for tag in value]
        elif isinstance(example, ClassificationExample) and field == "label" and isinstance(feature, ClassLabel):
            value = feature.names.index(value) if value in feature.names else int(value)
        row[column] = value
    return row


def _tydiqa(pack: Path, out: Path, configs: dict) -> None:
    """One `tydiqa` config, languages mixed: English rows with 'english-' ids, Arabic stand-ins."""
    spec = get_task("tydiqa")
    english = read_split(spec, pack, "train", "en")
    arabic = read_split(get_task("xquad"), pack, "test", "ar")
    for hub_split, start in (("train", 0), ("validation", 12)):
        rows = []
        for i in range(start, start + 6):
            rows.append(hub_row(spec, replace(english[i], id=f"english-{i}", title=f"title {i}")))
            rows.append(hub_row(spec, replace(arabic[i], id=f"arabic-{i}", title=f"عنوان {i}")))
        _write_split(out, spec.hub.id, "tydiqa", hub_split, rows, FEATURES["tydiqa"], configs)


def _write_split(out: Path, repo: str, config: str, hub_split: str, rows: list[dict], features: dict,
                 configs: dict) -> None:
    relative = f"{config}/{hub_split}-00000-of-00001.parquet"
    # The schema carries the datasets features (ClassLabel names) in its metadata, as the hub's
    # parquet files do.
    schema = Features(features).arrow_schema
    table = pa.Table.from_pylist([{name: row[name] for name in features} for row in rows], schema=schema)
    (out / repo / relative).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out / repo / relative)
    configs.setdefault(repo, {}).setdefault(config, {})[hub_split] = relative


def _readme(repo_dir: Path, by_config: dict[str, dict[str, str]]) -> None:
    entries = []
    for config, files in sorted(by_config.items()):
        entry = {"config_name": config, "data_files": [{"split": s, "path": p} for s, p in files.items()]}
        if config in DEFAULT_CONFIG.values():
            entry["default"] = True
        entries.append(entry)
    front = yaml.safe_dump({"configs": entries}, sort_keys=False, allow_unicode=True)
    (repo_dir / "README.md").write_text(f"---\n{front}---\n\nA test mirror built from the shared pack.\n", encoding="utf-8")


@pytest.fixture(scope="session", name="hub_mirror_dir")
def hub_mirror_dir_fixture(tmp_path_factory, data_dir) -> Path:
    """The mirror, built once per session (the environment is set per test: `hub_mirror`).

    Test modules import the fixtures by their function names (`hub_mirror_fixture`,
    `hub_mirror_dir_fixture`) and ask for them as `hub_mirror` / `hub_mirror_dir`."""
    return build_hub_mirror(data_dir, tmp_path_factory.mktemp("hub") / "mirror")


@pytest.fixture(name="hub_mirror")
def hub_mirror_fixture(hub_mirror_dir, monkeypatch) -> Path:
    """$XSTILTS_HUB_MIRROR at the mirror and a datasets cache beside it, for one test."""
    cache = hub_mirror_dir.parent / "datasets-cache"
    monkeypatch.setenv(MIRROR_ENV, str(hub_mirror_dir))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(cache))
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", cache)  # read once, at import
    return hub_mirror_dir
