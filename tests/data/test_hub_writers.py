"""`data download`'s writers: examples written in a reader's format read back as the same
examples (ids included), for every format it writes, on slices of the pack's real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from xstilts.data.download import WRITERS, plan
from xstilts.data.examples import BitextCorpus, ChoiceExample, ClassificationExample
from xstilts.data.readers import read
from xstilts.errors import DataError
from xstilts.tasks.registry import get_task

# (task, split, pack file, examples kept): each written under the same file name, so line ids agree.
PACK = [
    ("pawsx", "dev", "target/pawsx/dev-de.tsv", 30),
    ("sst2", "dev", "intermediate/sst2/dev.tsv", 30),
    ("panx", "dev", "target/panx/dev-de.tsv", 30),
    ("squad", "dev", "intermediate/squad/dev-v1.1.json", 40),
    ("mlqa", "dev", "target/mlqa/dev-context-de-question-de.json", 40),
    ("cosmosqa", "dev", "intermediate/cosmosqa/valid.csv", 20),
    ("commonsenseqa", "dev", "intermediate/commonsenseqa/dev_rand_split.jsonl", 20),
    ("anli", "dev", "intermediate/anli/R2/dev.jsonl", 20),
    ("tatoeba", "test", "target/tatoeba/tatoeba.deu-eng.deu", None),
    ("bucc2018", "dev", "target/bucc2018/zh-en.dev.zh", None),
]


def read_as(task: str, split: str, path: Path):
    source = get_task(task).sources(split)[0]
    return read(source.format, path, labels=get_task(task).labels, **source.options)


def write_and_read(task: str, split: str, examples, path: Path):
    source = get_task(task).sources(split)[0]
    for name, text in WRITERS[source.format].write(examples, str(path), source.options).items():
        Path(name).write_text(text, encoding="utf-8")
    return read_as(task, split, path)


@pytest.mark.parametrize(("task", "split", "relative", "n"), PACK)
def test_pack_examples_round_trip(data_dir, tmp_path, task, split, relative, n):
    examples = read_as(task, split, data_dir / relative)
    if not isinstance(examples, BitextCorpus):
        examples = list(examples)[:n]
    back = write_and_read(task, split, examples, tmp_path / Path(relative).name)
    assert (back if isinstance(back, BitextCorpus) else list(back)) == examples


def test_snli_ids_survive_pairs_the_hub_left_out(tmp_path):
    # Hub rows 1 and 3 (1-based) kept, row 2 had no consensus: the ids name the original lines.
    examples = [ClassificationExample("snli_1.0_dev:1", "A man sleeps.", "A person rests.", "entailment"),
                ClassificationExample("snli_1.0_dev:3", "A dog runs.", "A cat sleeps.", "contradiction")]
    assert list(write_and_read("snli", "dev", examples, tmp_path / "snli_1.0_dev.jsonl")) == examples


def test_hellaswag_split_context_and_unlabelled_rows(tmp_path):
    examples = [ChoiceExample("24", "A woman mixes flour.", "she", ("drives.", "adds eggs.", "swims.", "sings."), 1),
                ChoiceExample("25", "A man paints.", "he", ("a", "b", "c", "d"), None)]
    assert write_and_read("hellaswag", "dev", examples, tmp_path / "hellaswag_val.jsonl") == examples


def test_a_glob_pattern_gets_one_file_per_hub_split_part():
    # anli's dev pattern R[123]/dev.jsonl and hub split dev_r1+dev_r2+dev_r3: one file per round.
    planned = plan(["anli"], ["dev"])
    assert [(p.path, p.hub_split, p.spec().hub.splits["dev"]) for p in planned] == [
        (f"intermediate/anli/R{i}/dev.jsonl", f"dev_r{i}", f"dev_r{i}") for i in (1, 2, 3)]


def test_a_tab_inside_a_tsv_value_is_refused(tmp_path):
    examples = [ClassificationExample("dev-de:1", "a\tb", "c", "1")]
    with pytest.raises(DataError, match="holds a tab or line break"):
        write_and_read("pawsx", "dev", examples, tmp_path / "dev-de.tsv")
