"""Round trips on the real shared data pack: gold labels → features → back to the examples.

QA: gold start/end token positions → offsets → context text. With the XLM-R SentencePiece
vocabulary, exact string equality is bounded by the tokenizer, not by the featurizer: an answer
that ends inside a piece ("2018" in "▁2018.", "南极附近" in "附近的", mid-word annotations) can
only be recovered as the piece-aligned cover. So the test asserts what the featurizer controls —
every in-window answer comes back as its *tightest token cover* (contains the answer; dropping
the first or last token would lose part of it) — and prints exact and punctuation-normalized
equality rates (the ceiling of an extractive model's exact match).

Tagging: one-hot "logits" from the gold labels, mapped back to words, must equal the gold tags
exactly. Tokenizing all 327k PAN-X/UD-POS sentences takes minutes on one thread, so every
language is kept but large files are sampled: an even spread plus the longest sentences.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pytest

from xstilts.data.readers import read
from tagging_checks import one_hot_gold, unpredicted_word_count
from xstilts.features import featurize, postprocess_qa, tags_from_logits

QA_FILES = {
    "xquad": "target/xquad/xquad.*.json",
    "mlqa": "target/mlqa/dev-context-*-question-*.json",
    "tydiqa": "target/tydiqa/tydiqa.goldp.en.train.json",
}
TAGGING_FILES = {
    "panx": "target/panx/dev-*.tsv",
    "udpos": "target/udpos/xtreme/test-*.tsv",
}
SAMPLE_PER_FILE = 400
LONGEST_PER_FILE = 25


def files(data_dir: Path, pattern: str) -> list[Path]:
    found = sorted(data_dir.glob(pattern))
    assert found, f"no files match {pattern}"
    return found


# ---------------------------------------------------------------- QA


def tightest_cover(offsets, start: int, end: int, answer_start: int, answer_end: int) -> bool:
    covers = offsets[start][0] <= answer_start and offsets[end][1] >= answer_end
    first_needed = offsets[start][1] > answer_start
    last_needed = end == start or offsets[end - 1][1] < answer_end
    return covers and first_needed and last_needed


def normalized(text: str) -> str:
    """MLQA-style: lower-case, drop Unicode punctuation, collapse whitespace."""
    kept = "".join(ch for ch in text.lower() if not unicodedata.category(ch).startswith("P"))
    return " ".join(kept.split())


def gold_one_hot_logits(fs) -> tuple[list[np.ndarray], list[np.ndarray]]:
    starts, ends = [], []
    for f, length in enumerate(fs.lengths()):
        for rows, position in (
            (starts, fs.inputs["start_positions"][f]),
            (ends, fs.inputs["end_positions"][f]),
        ):
            row = np.zeros(length)
            row[position] = 10.0
            rows.append(row)
    return starts, ends


def qa_rates(examples, fs) -> dict[str, float]:
    """Per answered example, the first window holding the gold span decides."""
    seen, cover, exact, norm = set(), 0, 0, 0
    for f, index in enumerate(fs.refs["example_index"]):
        start, end = fs.inputs["start_positions"][f], fs.inputs["end_positions"][f]
        if start == 0 or index in seen:
            continue
        seen.add(index)
        answer = examples[index].answers[0]
        offsets, context = fs.refs["offset_mapping"][f], examples[index].context
        cover += tightest_cover(offsets, start, end, answer.start, answer.start + len(answer.text))
        text = context[offsets[start][0] : offsets[end][1]].strip()
        exact += text == answer.text.strip()
        norm += normalized(text) == normalized(answer.text)
    answered = sum(bool(ex.answers) for ex in examples)
    # End to end: gold one-hot logits through postprocess_qa give the same texts (with no cap on
    # answer length: some gold answers are longer than the usual 30 tokens).
    predicted = postprocess_qa(fs, *gold_one_hot_logits(fs), max_answer_length=fs.info["max_length"])
    via_postprocess = sum(predicted[ex.id] == ex.answers[0].text.strip() for ex in examples if ex.answers)
    assert via_postprocess == exact
    return {"answers": answered, "in_window": len(seen), "cover": cover, "exact": exact, "normalized": norm}


@pytest.mark.parametrize("dataset", sorted(QA_FILES))
def test_qa_gold_spans_round_trip(dataset, tokenizer, data_dir):
    totals = dict.fromkeys(["answers", "in_window", "cover", "exact", "normalized"], 0)
    for path in files(data_dir, QA_FILES[dataset]):
        examples = read("squad_json", path)
        fs = featurize("span_extraction", examples, tokenizer, max_length=384, doc_stride=128)
        for name, value in qa_rates(examples, fs).items():
            totals[name] += value
    n = totals["answers"]
    rates = {name: totals[name] / n for name in ("in_window", "cover", "exact", "normalized")}
    print(f"\n{dataset}: {n} answers; " + ", ".join(f"{k} {v:.4f}" for k, v in rates.items()))
    assert rates["in_window"] >= 0.99
    assert rates["cover"] >= 0.99
    assert rates["exact"] >= 0.9  # below this, offsets or positions would be broken, not the vocabulary


# ---------------------------------------------------------------- tagging


def sample(examples: list, size: int, longest: int) -> list:
    """An even spread over the file plus its longest sentences (where truncation would bite)."""
    step = max(1, len(examples) // size)
    by_length = sorted(range(len(examples)), key=lambda i: len(examples[i].tokens), reverse=True)
    keep = sorted(set(range(0, len(examples), step)) | set(by_length[:longest]))
    return [examples[i] for i in keep]


@pytest.mark.parametrize("dataset", sorted(TAGGING_FILES))
def test_tagging_gold_round_trip_is_exact(dataset, tokenizer, data_dir):
    per_file = [
        sample(read("xtreme_tagging_tsv", p), SAMPLE_PER_FILE, LONGEST_PER_FILE)
        for p in files(data_dir, TAGGING_FILES[dataset])
    ]
    labels = sorted({tag for examples in per_file for ex in examples for tag in ex.tags})
    sentences = over_128 = over_256 = over_512 = 0
    for examples in per_file:
        # PAN-X ja/zh split sentences into single-character "words", each costing "▁" + piece,
        # so their longest sentences need ~1,500 sub-words; the round trip must cover them all.
        fs = featurize("tagging", examples, tokenizer, max_length=2048, labels=labels)
        assert unpredicted_word_count(fs) == 0
        assert tags_from_logits(fs, one_hot_gold(fs, len(labels)), labels) == [
            list(ex.tags) for ex in examples
        ]
        lengths = fs.lengths()
        sentences += len(lengths)
        over_128 += sum(n > 128 for n in lengths)
        over_256 += sum(n > 256 for n in lengths)
        over_512 += sum(n > 512 for n in lengths)
    print(
        f"\n{dataset}: {len(per_file)} files, {sentences} sentences round-tripped exactly; "
        f"{over_128} exceed 128 sub-words, {over_256} exceed 256, {over_512} exceed 512"
    )
