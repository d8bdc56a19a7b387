from __future__ import annotations

import logging

import numpy as np
import pytest

from xstilts.data.examples import TaggingExample
from xstilts.errors import XstiltsError
from xstilts.features import IGNORE_INDEX, featurize, tags_from_logits, truncated_word_count

NER = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def sentence(sid: str, pairs: list[tuple[str, str]]) -> TaggingExample:
    return TaggingExample(id=sid, tokens=tuple(w for w, _ in pairs), tags=tuple(t for _, t in pairs))


def gold_logits(fs, num_labels: int) -> np.ndarray:
    """One-hot 'logits' from the gold labels (ignored positions get an arbitrary wrong label)."""
    width = max(fs.lengths())
    logits = np.zeros((len(fs), width, num_labels))
    for f, row in enumerate(fs.inputs["labels"]):
        for pos, label in enumerate(row):
            logits[f, pos, num_labels - 1 if label == IGNORE_INDEX else label] = 1.0
    return logits


EXAMPLES = [
    sentence("s0", [("Angela", "B-PER"), ("Merkel-Schröder", "I-PER"), ("visited", "O"), ("Paris", "B-LOC")]),
    sentence(
        "s1", [("Unbelievably", "O"), ("long", "O"), ("Rio", "B-LOC"), ("de", "I-LOC"), ("Janeiro", "I-LOC")]
    ),
]


def test_first_subtoken_carries_the_word_label(tokenizer):
    fs = featurize("tagging", EXAMPLES, tokenizer, max_length=64, labels=NER)
    row, word_ids = fs.inputs["labels"][0], fs.refs["word_ids"][0]
    assert len(row) == len(word_ids) == len(fs.inputs["input_ids"][0])
    labelled = [(word_ids[pos], label) for pos, label in enumerate(row) if label != IGNORE_INDEX]
    assert labelled == [(0, 1), (1, 2), (2, 0), (3, 3)]
    assert word_ids[0] == -1 and word_ids[-1] == -1  # <s> and </s>
    assert word_ids.count(1) > 1, "the hyphenated name spans several sub-tokens"


def test_gold_logits_map_back_to_gold_tags(tokenizer):
    fs = featurize("tagging", EXAMPLES, tokenizer, max_length=64, labels=NER)
    assert tags_from_logits(fs, gold_logits(fs, len(NER)), NER) == [list(ex.tags) for ex in EXAMPLES]
    assert truncated_word_count(fs) == 0


def test_truncated_words_get_fallback_and_are_counted(tokenizer, caplog):
    long = sentence("long", [(f"word{i}", "B-PER" if i % 2 else "O") for i in range(40)])
    fs = featurize("tagging", [long, EXAMPLES[0]], tokenizer, max_length=24, labels=NER)
    covered = len({w for w in fs.refs["word_ids"][0] if w >= 0})
    assert covered < 40
    assert truncated_word_count(fs) == 40 - covered
    with caplog.at_level(logging.WARNING):
        tags = tags_from_logits(fs, gold_logits(fs, len(NER)), NER, default="O")
    assert f"{40 - covered} words were truncated" in caplog.text
    assert tags[0][:covered] == list(long.tags[:covered])
    assert tags[0][covered:] == ["O"] * (40 - covered)
    assert tags[1] == list(EXAMPLES[0].tags)


def test_words_without_subtokens_are_encoded_as_unk(tokenizer):
    # An empty word yields no sub-token at all (a zero-width space still yields "▁").
    silent = sentence("z", [("a", "O"), ("", "B-PER"), ("\u200b", "I-PER"), ("", "B-LOC"), ("b", "O")])
    fs = featurize("tagging", [silent], tokenizer, max_length=32, labels=NER)
    assert fs.info["words_replaced_by_unk"] == 2
    assert sorted({w for w in fs.refs["word_ids"][0] if w >= 0}) == [0, 1, 2, 3, 4]
    assert tags_from_logits(fs, gold_logits(fs, len(NER)), NER) == [list(silent.tags)]


def test_unlabelled_sentences_still_map_back(tokenizer):
    unlabelled = [TaggingExample(id="u", tokens=("Hello", "world"), tags=None)]
    fs = featurize("tagging", unlabelled, tokenizer, max_length=16, labels=NER)
    assert "labels" not in fs.inputs
    logits = np.zeros((1, len(fs.inputs["input_ids"][0]), len(NER)))
    logits[..., 3] = 1.0
    assert tags_from_logits(fs, logits, NER) == [["B-LOC", "B-LOC"]]


def test_unknown_tag_is_an_error(tokenizer):
    with pytest.raises(XstiltsError, match="'B-ORG'"):
        featurize("tagging", [sentence("x", [("Acme", "B-ORG")])], tokenizer, max_length=16, labels=NER)


def test_silent_word_before_truncation_is_repaired_and_cut_words_are_not(tokenizer):
    words = [("a", "O"), ("", "B-PER")] + [(f"word{i}", "O") for i in range(40)]
    fs = featurize("tagging", [sentence("t", words)], tokenizer, max_length=24, labels=NER)
    assert fs.info["words_replaced_by_unk"] == 1
    seen = sorted({w for w in fs.refs["word_ids"][0] if w >= 0})
    assert seen == list(range(len(seen))), "no gap: the empty word got a sub-token"
    assert truncated_word_count(fs) == len(words) - len(seen)
    assert tags_from_logits(fs, gold_logits(fs, len(NER)), NER)[0][:2] == ["O", "B-PER"]
