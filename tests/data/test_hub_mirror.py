"""The hub route, offline, through the real `datasets.load_dataset` call: a folder laid out as the
hub repos (hub_mirror.py, built from the shared pack) is read by path, exactly as a hub id is.

The same examples read from the hub and from the pack's files give the same fingerprint (ids
included); `data download` writes files that read back to the pack's fingerprints; a split's
source is chosen in one place (`split_origin`); TyDiQA's mixed-language config is filtered.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import replace

import datasets
import pytest

from hub_mirror import MIRRORED, PANX_TAGS, hub_mirror_dir_fixture, hub_mirror_fixture  # noqa: F401 (fixtures)
from xstilts.data.download import MANIFEST, download, plan
from xstilts.data.hub import load_hub_split
from xstilts.data.splits import SplitRef, read_split, split_origin
from xstilts.errors import ConfigError
from xstilts.features.cache import examples_fingerprint
from xstilts.pipeline.reads import load_examples, resolve_read
from xstilts.tasks.registry import get_task

# (task, split, language, examples in the mirror): the mirror holds the first N of the pack's.
SAME = [
    ("pawsx", "dev", "de", 120), ("xnli", "dev", "de", 120), ("panx", "dev", "de", 10),
    ("panx", "train", "en", 12), ("udpos", "test", "fr", 8), ("udpos", "dev", "en", 8),
    ("squad", "dev", "en", 8), ("sst2", "dev", "en", 12),
]
# google/xquad and facebook/mlqa have no title column: only the titles differ.
UNTITLED = [("xquad", "test", "de", 8), ("mlqa", "dev", "de", 8)]
TYDIQA_NAMES = {"en": "english", "ar": "arabic", "bn": "bengali", "fi": "finnish", "id": "indonesian",
                "ko": "korean", "ru": "russian", "sw": "swahili", "te": "telugu"}


def test_load_dataset_reads_the_mirror_by_path_with_the_hub_features(hub_mirror):
    panx = datasets.load_dataset(str(hub_mirror / "google" / "xtreme"), "PAN-X.de", split="validation")
    assert panx.num_rows == 10 and panx.features["ner_tags"].feature.names == PANX_TAGS
    squad = datasets.load_dataset(str(hub_mirror / "rajpurkar" / "squad"), None, split="validation")
    assert squad.num_rows == 8 and set(squad.column_names) == {"id", "title", "context", "question", "answers"}


@pytest.mark.parametrize(("task", "split", "lang", "n"), SAME)
def test_hub_rows_fingerprint_as_the_pack_files(hub_mirror, data_dir, task, split, lang, n):
    spec = get_task(task)
    from_hub = read_split(spec, data_dir, split, lang, "hub")
    from_files = read_split(spec, data_dir, split, lang)[:n]
    assert len(from_hub) == n
    assert from_hub == from_files  # ids included: the hub ids are the file reader's
    assert examples_fingerprint(from_hub) == examples_fingerprint(from_files)


@pytest.mark.parametrize(("task", "split", "lang", "n"), UNTITLED)
def test_hub_qa_without_titles_differs_from_the_files_only_in_titles(hub_mirror, data_dir, task, split, lang, n):
    spec = get_task(task)
    from_hub = read_split(spec, data_dir, split, lang, "hub")
    from_files = read_split(spec, data_dir, split, lang)[:n]
    assert {e.title for e in from_hub} == {""} and all(e.title for e in from_files)
    assert from_hub == [replace(e, title="") for e in from_files]


def tydiqa_with_names():
    """TyDiQA's spec with the id-prefix names its hub config needs (proposed for tydiqa.yaml)."""
    spec = get_task("tydiqa")
    return spec.model_copy(update={"hub": spec.hub.model_copy(update={"names": TYDIQA_NAMES})})


def test_tydiqa_mixed_config_keeps_one_language_by_id_prefix(hub_mirror, data_dir):
    english = load_hub_split(tydiqa_with_names(), "train", "en")
    arabic = load_hub_split(tydiqa_with_names(), "dev", "ar")
    assert [e.id for e in english] == [f"english-{i}" for i in range(6)]
    assert [e.id for e in arabic] == [f"arabic-{i}" for i in range(12, 18)]
    pack = read_split(get_task("tydiqa"), data_dir, "train", "en")[:6]
    assert [replace(e, id="", title="") for e in english] == [replace(e, id="", title="") for e in pack]


def test_a_mixed_config_without_language_names_is_a_config_error(hub_mirror):
    spec = get_task("tydiqa")
    spec = spec.model_copy(update={"hub": spec.hub.model_copy(update={"names": {}})})
    with pytest.raises(ConfigError, match=r"tydiqa.hub.names.*mixes languages"):
        load_hub_split(spec, "train", "en")


def test_the_source_is_chosen_per_split_and_language(hub_mirror, data_dir, tmp_path):
    pawsx = get_task("pawsx")
    assert split_origin(pawsx, data_dir, "dev", "de", "files") == "files"
    assert split_origin(pawsx, data_dir, "dev", "de", "hub") == "hub"
    assert split_origin(pawsx, data_dir, "dev", "de", "auto") == "files"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert split_origin(pawsx, empty, "dev", "de", "auto") == "hub"
    assert split_origin(pawsx, empty, "dev", "de", "files") is None
    assert split_origin(get_task("nli_standin"), empty, "train", "en", "auto") is None  # no hub entry
    with pytest.raises(ConfigError, match="data_source"):
        split_origin(pawsx, data_dir, "dev", "de", "ftp")


def test_a_read_from_the_hub_has_the_files_lines_and_fingerprint(hub_mirror, data_dir, tmp_path):
    ref = SplitRef.parse("dev[8:40]", "pawsx")
    from_files = resolve_read(ref, "de", data_dir, "targets.pawsx.eval_split")
    from_hub = resolve_read(ref, "de", tmp_path, "targets.pawsx.eval_split", source="hub")
    assert (from_hub.origin, from_files.origin) == ("hub", "files")
    assert from_hub.lines == from_files.lines and from_hub.fingerprint == from_files.fingerprint
    assert load_examples(from_hub, tmp_path) == load_examples(from_files, data_dir)
    with pytest.raises(ConfigError, match=r"targets.pawsx.eval_split.*no files for pawsx:dev"):
        resolve_read(ref, "de", tmp_path, "targets.pawsx.eval_split")


def test_download_writes_files_that_fingerprint_as_the_pack(hub_mirror, data_dir, tmp_path):
    out = tmp_path / "data"
    groups = [(["pawsx", "xnli", "mlqa"], ["dev"], ["de"]), (["panx"], ["train", "dev"], ["en", "de"]),
              (["udpos"], ["dev"], ["en"]), (["udpos"], ["test"], ["fr"]), (["squad", "sst2"], None, None),
              (["xquad"], None, ["de"])]
    for tasks, splits, languages in groups:
        download(plan(tasks, splits, languages), out)
    for task, split, lang, n in SAME + UNTITLED:
        spec = get_task(task)
        written = read_split(spec, out, split, lang)
        pack = read_split(spec, data_dir, split, lang)[:n]
        if (task, split, lang, n) in UNTITLED:
            pack = [replace(e, title="") for e in pack]
        assert examples_fingerprint(written) == examples_fingerprint(pack), (task, split, lang)
    with open(out / MANIFEST, encoding="utf-8", newline="") as handle:
        rows = {row["path"]: row for row in csv.DictReader(handle, delimiter="\t")}
    row = rows["target/panx/dev-de.tsv"]
    assert (row["rows"], row["hub_id"], row["config"], row["hub_split"]) == ("10", "google/xtreme", "PAN-X.de", "validation")
    assert row["sha256"] == hashlib.sha256((out / row["path"]).read_bytes()).hexdigest() and row["revision"]
    assert rows["intermediate/squad/train-v1.1.json"]["config"] == ""  # rajpurkar/squad's default config
    assert set(MIRRORED) == {get_task(row["path"].split("/")[1]).name for row in rows.values()}
