"""Every reader on the real files of the shared data pack; counts must match MANIFEST.tsv."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from xstilts.data.examples import BitextCorpus
from xstilts.data.readers import detect_format, read

SLOW = pytest.mark.slow  # the tagging sweeps read 4.5 million lines

# (format, glob under the data dir, how MANIFEST counts that file)
REAL_FILES = [
    ("xtreme_pair_tsv", "target/xnli/dev-*.tsv", "lines"),
    ("xtreme_pair_tsv", "target/pawsx/dev-*.tsv", "lines"),
    ("xtreme_tagging_tsv", "target/panx/dev-af.tsv", "sentences"),
    ("xtreme_tagging_tsv", "target/panx/dev-hi.tsv", "sentences"),
    ("xtreme_tagging_tsv", "target/udpos/xtreme/test-mr.tsv", "sentences"),
    ("xtreme_tagging_tsv", "target/udpos/xtreme/test-fi.tsv", "sentences"),
    ("conllu", "target/udpos/conllu/en_partut-ud-train.conllu", "sentences"),
    pytest.param("xtreme_tagging_tsv", "target/panx/*.tsv", "sentences", marks=SLOW),
    pytest.param("xtreme_tagging_tsv", "target/udpos/xtreme/*.tsv", "sentences", marks=SLOW),
    pytest.param("conllu", "target/udpos/conllu/*.conllu", "sentences", marks=SLOW),
    ("squad_json", "target/xquad/*.json", "questions"),
    ("squad_json", "target/mlqa/*.json", "questions"),
    ("squad_json", "target/tydiqa/*.json", "questions"),
    ("glue_tsv", "intermediate/sst2/*.tsv", "rows"),
    ("anli_csv", "intermediate/anli/*.csv", "rows"),
    ("cosmosqa_csv", "intermediate/cosmosqa/*.csv", "rows"),
    ("commonsenseqa_jsonl", "intermediate/commonsenseqa/*.jsonl", "rows"),
]


LABEL_SETS = {
    "target/xnli/": ("entailment", "neutral", "contradiction"),
    "target/pawsx/": ("0", "1"),
    "target/panx/": ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"),
    "intermediate/sst2/": ("0", "1"),
    "intermediate/anli/": ("entailment", "neutral", "contradiction"),
}


@pytest.fixture(scope="module")
def manifest(data_dir: Path) -> dict[str, int]:
    with open(data_dir / "MANIFEST.tsv", encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return {row["local_path"]: int(row["rows_or_examples"]) for row in rows if row["rows_or_examples"]}


def splitlines_surplus(path: Path) -> int:
    """Line breaks str.splitlines sees beyond '\\n' (\\x1c, \\u2028, ...), which the manifest counted."""
    text = path.read_text(encoding="utf-8")
    return len(text.splitlines()) - len(text.split("\n")) + (1 if text.endswith("\n") else 0)


def labels_for(relative: str) -> tuple[str, ...] | None:
    return next((labels for prefix, labels in LABEL_SETS.items() if relative.startswith(prefix)), None)


@pytest.mark.parametrize("fmt, pattern, unit", REAL_FILES)
def test_reader_counts_match_manifest(data_dir, manifest, fmt, pattern, unit):
    files = sorted(data_dir.glob(pattern))
    assert files, f"no files match {pattern}"
    for path in files:
        relative = path.relative_to(data_dir).as_posix()
        examples = read(fmt, path, labels=labels_for(relative))
        expected = manifest[relative]
        if unit == "lines":
            expected -= splitlines_surplus(path)
        assert len(examples) == expected, relative
        assert len({example.id for example in examples}) == len(examples), f"duplicate ids in {relative}"
        assert detect_format(path) == fmt, relative


def test_pawsx_ko_manifest_counts_a_record_separator_as_a_line_break(data_dir, manifest):
    """MANIFEST says 2001 for PAWS-X ko dev: one sentence holds \\x1c, which splitlines breaks at."""
    path = data_dir / "target/pawsx/dev-ko.tsv"
    text = path.read_text(encoding="utf-8")
    assert manifest["target/pawsx/dev-ko.tsv"] == len(text.splitlines())
    examples = read("xtreme_pair_tsv", path)
    assert len(examples) == text.count("\n")
    with_separator = [example for example in examples if "\x1c" in example.text_b]
    assert len(with_separator) == 1 and with_separator[0].label == "1"
    assert all(
        splitlines_surplus(p) == 0 for p in data_dir.glob("target/pawsx/dev-*.tsv") if p.name != "dev-ko.tsv"
    )


def test_xnli_labels_are_balanced_and_pairs_align_with_english(data_dir):
    english = read("xtreme_pair_tsv", data_dir / "target/xnli/dev-en.tsv")
    german = read("xtreme_pair_tsv", data_dir / "target/xnli/dev-de.tsv")
    assert [e.label for e in english] == [g.label for g in german]
    assert {e.label for e in english} == {"entailment", "neutral", "contradiction"}


def test_conllu_keeps_syntactic_words_only(data_dir):
    path = data_dir / "target/udpos/conllu/en_ewt-ud-dev.conllu"
    text = path.read_text(encoding="utf-8")
    word_lines = re.findall(r"^[0-9]+\t", text, flags=re.M)
    sent_ids = re.findall(r"^# sent_id = (.+)$", text, flags=re.M)
    sentences = read("conllu", path)
    assert sum(len(s.tokens) for s in sentences) == len(word_lines)
    assert [s.id for s in sentences] == sent_ids
    # EWT writes "didn't" as a range line 29-30 over "did" + "n't"; only the words survive.
    assert re.search(r"^[0-9]+-[0-9]+\t", text, flags=re.M)
    assert not any("-" in tag for s in sentences for tag in s.tags)
    xpos = read("conllu", path, column="xpos")
    assert [s.tokens for s in xpos] == [s.tokens for s in sentences]
    assert {tag for s in xpos for tag in s.tags} != {tag for s in sentences for tag in s.tags}


def test_finnish_tokens_that_look_like_language_prefixes_are_kept(data_dir):
    path = data_dir / "target/udpos/xtreme/test-fi.tsv"
    tokens = {t for s in read("xtreme_tagging_tsv", path) for t in s.tokens}
    assert {"ip:llä", "os:lla"} <= tokens


def test_squad_answers_sit_in_their_contexts(data_dir):
    for path in sorted(data_dir.glob("target/xquad/*.json")) + sorted(data_dir.glob("target/mlqa/*.json")):
        for example in read("squad_json", path):
            for answer in example.answers:
                assert example.context[answer.start : answer.start + len(answer.text)] == answer.text


def test_tydiqa_repeated_ids_are_replaced_by_ordinals(data_dir):
    path = data_dir / "target/tydiqa/tydiqa.goldp.en.train.json"
    examples = read("squad_json", path)
    assert [e.id for e in examples] == [f"{path.stem}#{n}" for n in range(1, len(examples) + 1)]
    xquad = read("squad_json", data_dir / "target/xquad/xquad.en.json")
    assert not any("#" in e.id for e in xquad)


def test_bucc_reads_the_three_files_and_checks_gold(data_dir, manifest):
    prefix = data_dir / "target/bucc2018/zh-en.dev"
    corpus = read("bucc", prefix)
    assert isinstance(corpus, BitextCorpus)
    assert (corpus.source_lang, corpus.target_lang) == ("zh", "en")
    assert len(corpus.source) == manifest["target/bucc2018/zh-en.dev.zh"]
    assert len(corpus.target) == manifest["target/bucc2018/zh-en.dev.en"]
    assert len(corpus.gold) == manifest["target/bucc2018/zh-en.dev.gold"]
    assert all(s in corpus.source and t in corpus.target for s, t in corpus.gold)
    assert read("bucc", data_dir / "target/bucc2018/zh-en.dev.gold") == corpus
    assert detect_format(prefix) == "bucc"


def test_every_tatoeba_pair_is_line_aligned(data_dir, manifest):
    sources = sorted(
        p for p in data_dir.glob("target/tatoeba/tatoeba.*-eng.*") if not p.name.endswith(".eng")
    )
    assert sources
    for path in sources:
        corpus = read("tatoeba", path)
        relative = path.relative_to(data_dir).as_posix()
        english = relative.rsplit(".", 1)[0] + ".eng"
        assert len(corpus.source) == len(corpus.target) == manifest[relative] == manifest[english]
        assert corpus.gold == tuple((i, i) for i in corpus.source)
        assert detect_format(path) == "tatoeba"
