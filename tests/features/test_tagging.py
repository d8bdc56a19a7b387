from __future__ import annotations

import numpy as np
import pytest

from xstilts.data.examples import TaggingExample
from xstilts.errors import XstiltsError
from tagging_checks import unpredicted_word_count
from xstilts.features import (
    IGNORE_INDEX,
    featurize,
    tags_from_logits,
)
from xstilts.features.tagging import word_windows

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
    assert unpredicted_word_count(fs) == 0


def word_index_logits(fs, num_labels: int) -> list[np.ndarray]:
    """'Logits' that predict label (word index mod num_labels) at every sub-token of a word, so
    the merged tags spell out which word each prediction came from."""
    rows = []
    for word_ids in fs.refs["word_ids"]:
        row = np.zeros((len(word_ids), num_labels))
        for pos, word in enumerate(word_ids):
            row[pos, word % num_labels if word >= 0 else 0] = 1.0
        rows.append(row)
    return rows


def full_encoding_counts(tokenizer, words: list[str]) -> list[int]:
    word_ids = tokenizer(words, is_split_into_words=True).word_ids()
    return [word_ids.count(w) for w in range(len(words))]


def test_long_sentence_is_windowed_and_merged_back_in_word_order(tokenizer):
    # 40 words of 2-5 sub-tokens: far more than one 24-token window holds.
    words = [("Schwarzwald" if i % 3 == 0 else f"w{i}x", "B-PER" if i % 2 else "O") for i in range(40)]
    long = sentence("long", words)
    fs = featurize("tagging", [EXAMPLES[0], long, EXAMPLES[1]], tokenizer, max_length=24, labels=NER)
    windows = [f for f, e in enumerate(fs.refs["example_index"]) if e == 1]
    assert len(windows) > 2 and fs.info["windowed_sentences"] == 1
    assert max(fs.lengths()) <= 24
    counts = full_encoding_counts(tokenizer, [w for w, _ in words])
    owned = []
    for f in windows:
        word_ids = fs.refs["word_ids"][f]
        assert word_ids[0] == -1 and word_ids[-1] == -1, "each window keeps <s> and </s>"
        inside = sorted({w for w in word_ids if w >= 0})
        assert inside == list(range(inside[0], inside[-1] + 1))
        assert all(word_ids.count(w) == counts[w] for w in inside), "words stay whole inside a window"
        owned.extend(range(fs.refs["owned_start"][f], fs.refs["owned_stop"][f]))
    assert owned == list(range(40)), "each word is owned by exactly one window, in order"
    tags = tags_from_logits(fs, word_index_logits(fs, len(NER)), NER)
    assert [len(t) for t in tags] == [4, 40, 5]
    assert tags[1] == [NER[w % len(NER)] for w in range(40)]
    assert tags_from_logits(fs, gold_logits(fs, len(NER)), NER) == [list(EXAMPLES[0].tags), list(long.tags),
                                                                    list(EXAMPLES[1].tags)]
    assert unpredicted_word_count(fs) == 0


def test_windows_label_only_the_words_they_own(tokenizer):
    long = sentence("long", [(f"word{i}", "B-PER" if i % 2 else "O") for i in range(40)])
    fs = featurize("tagging", [long], tokenizer, max_length=24, labels=NER)
    labelled = []
    for f in range(len(fs)):
        word_ids, row = fs.refs["word_ids"][f], fs.inputs["labels"][f]
        start, stop = fs.refs["owned_start"][f], fs.refs["owned_stop"][f]
        for pos, label in enumerate(row):
            if label != IGNORE_INDEX:
                assert start <= word_ids[pos] < stop
                labelled.append((word_ids[pos], label))
    assert labelled == [(w, NER.index(long.tags[w])) for w in range(40)], "every word trained on once"


def test_a_word_longer_than_a_window_keeps_its_first_subtokens(tokenizer):
    giant = "".join(f"Zq{i}x" for i in range(30))
    words = [("a", "O"), (giant, "B-LOC"), ("b", "O")]
    fs = featurize("tagging", [sentence("g", words)], tokenizer, max_length=12, labels=NER)
    assert max(fs.lengths()) <= 12 and fs.info["words_cut_to_window"] == 1
    assert tags_from_logits(fs, gold_logits(fs, len(NER)), NER) == [["O", "B-LOC", "O"]]


def test_a_word_without_prediction_is_an_error_not_a_fallback_tag(tokenizer):
    long = sentence("long", [(f"word{i}", "O") for i in range(40)])
    fs = featurize("tagging", [long], tokenizer, max_length=24, labels=NER)
    logits = gold_logits(fs, len(NER))
    fs.refs["owned_stop"][0] -= 1  # the first window no longer predicts its last word
    with pytest.raises(XstiltsError, match="1 words have no prediction"):
        tags_from_logits(fs, logits, NER)
    assert unpredicted_word_count(fs) == 1


@pytest.mark.parametrize("seed", range(20))
def test_word_windows_partition_words_and_respect_capacity(seed):
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 9, size=int(rng.integers(1, 200))).tolist()
    capacity = int(rng.integers(8, 64))
    windows = word_windows(counts, capacity)
    owned = [w for window in windows for w in range(window.owned_start, window.owned_stop)]
    assert owned == list(range(len(counts)))
    for window in windows:
        assert window.start <= window.owned_start < window.owned_stop <= window.stop
        assert sum(counts[window.start : window.stop]) <= capacity or window.stop - window.start == 1
    if sum(counts) <= capacity:
        assert len(windows) == 1


def test_owned_words_keep_context_on_both_sides():
    windows = word_windows([1] * 100, 20)
    inner = windows[1:-1]
    assert inner, "100 one-token words in windows of 20 need several windows"
    for window in inner:
        assert window.owned_start - window.start >= 4 and window.stop - window.owned_stop >= 4


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


def test_silent_words_in_a_windowed_sentence_are_repaired(tokenizer):
    words = [("a", "O"), ("", "B-PER")] + [(f"word{i}", "O") for i in range(40)] + [("", "B-LOC")]
    fs = featurize("tagging", [sentence("t", words)], tokenizer, max_length=24, labels=NER)
    assert fs.info["words_replaced_by_unk"] == 2 and len(fs) > 1
    assert unpredicted_word_count(fs) == 0
    tags = tags_from_logits(fs, gold_logits(fs, len(NER)), NER)[0]
    assert tags[:2] == ["O", "B-PER"] and tags[-1] == "B-LOC" and len(tags) == len(words)
