"""`xstilts data inspect` on real files: text and JSON summaries, --format, --task, detection."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from xstilts.cli import main
from xstilts.data.readers import read

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "readers"


def inspect_json(capsys, *args: str) -> dict:
    code = main(["data", "inspect", "--json", *args])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    return json.loads(out)


def test_json_summary_of_a_detected_file(data_dir, capsys):
    path = data_dir / "target/xnli/dev-fr.tsv"
    summary = inspect_json(capsys, str(path))
    examples = read("xtreme_pair_tsv", path)
    assert summary["format"] == "xtreme_pair_tsv"
    assert summary["examples"] == len(examples)
    assert summary["labels"] == dict(Counter(e.label for e in examples))
    assert summary["sample"][0]["text_a"] == examples[0].text_a


def test_task_resolves_format_and_labels(data_dir, capsys):
    path = data_dir / "intermediate/anli/ANLI_analysis_r2_dev.csv"
    summary = inspect_json(capsys, "--task", "anli", str(path))
    assert summary["format"] == "anli_csv"
    assert set(summary["labels"]) == {"entailment", "neutral", "contradiction"}
    assert sum(summary["labels"].values()) == summary["examples"]


def test_tagging_labels_count_tokens(data_dir, capsys):
    path = data_dir / "target/udpos/xtreme/test-te.tsv"
    summary = inspect_json(capsys, "--format", "xtreme_tagging_tsv", str(path))
    sentences = read("xtreme_tagging_tsv", path)
    assert summary["examples"] == len(sentences)
    assert sum(summary["labels"].values()) == sum(len(s.tokens) for s in sentences)


def test_bitext_summary(data_dir, capsys):
    summary = inspect_json(capsys, str(data_dir / "target/tatoeba/tatoeba.tel-eng.tel"))
    assert summary["format"] == "tatoeba"
    assert summary["source_lang"] == "tel" and summary["target_lang"] == "eng"
    assert summary["examples"] == summary["source_sentences"] == summary["gold_pairs"]


def test_snli_summary_reports_skipped_pairs(capsys):
    summary = inspect_json(capsys, str(FIXTURES / "snli_dev.jsonl"))
    assert (summary["examples"], summary["skipped"]) == (2, 1)


def test_text_output_names_count_format_and_labels(data_dir, capsys):
    path = data_dir / "intermediate/sst2/dev.tsv"
    assert main(["data", "inspect", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    examples = read("glue_tsv", path)
    assert "format: glue_tsv" in out
    assert f"examples: {len(examples)}" in out
    counts = Counter(e.label for e in examples)
    assert next(line for line in out if line.startswith("labels: ")) == "labels: " + ", ".join(
        f"{label}={n}" for label, n in counts.most_common()
    )
    assert sum(line.startswith("sample: ") for line in out) == 3


def test_undetectable_file_and_unknown_format_exit_2(tmp_path, capsys):
    path = tmp_path / "notes.md"
    path.write_text("# just prose\n", encoding="utf-8")
    assert main(["data", "inspect", str(path)]) == 2
    assert capsys.readouterr().err.startswith(f"error: {path}: cannot tell the format")
    assert main(["data", "inspect", "--format", "xml", str(path)]) == 2
    assert "config key 'format'" in capsys.readouterr().err
