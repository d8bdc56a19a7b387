"""Token tagging features (NER, POS) over pre-tokenised words, and predictions back to words.

The first sub-token of each word carries the word's label; other sub-tokens and special tokens
get IGNORE_INDEX, so loss and prediction are both per word.

A sentence longer than max_length is not truncated: like XTREME's preprocessing it is split
into windows of whole words, so every word gets a label in training and a real prediction at
evaluation. Unlike XTREME's split, consecutive windows overlap by about half a window, and each
word belongs to exactly one window (`owned_start` <= word < `owned_stop` in `refs`): the one
where it has the most context on its poorer side. Only owned words are labelled and predicted,
so each word is trained on once and predicted once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from xstilts.data.examples import TaggingExample
from xstilts.errors import XstiltsError
from xstilts.features.featureset import NO_WORD, FeatureSet
from xstilts.features.labels import IGNORE_INDEX, encode_label, is_labelled, label_index

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Window:
    """Words [start, stop) of one sentence in one feature; it predicts words [owned_start, owned_stop)."""

    start: int
    stop: int
    owned_start: int
    owned_stop: int


def featurize_tagging(
    examples: Sequence[TaggingExample],
    tokenizer,
    *,
    max_length: int,
    labels: Sequence[str] | None = None,
) -> FeatureSet:
    """One feature per sentence that fits in max_length, overlapping windows of whole words for
    longer ones (see the module docstring); no word is cut off."""
    sentences = [list(ex.tokens) for ex in examples]
    columns, word_ids = _encode_words(tokenizer, sentences)
    replaced = _repair_silent_words(tokenizer, sentences, columns, word_ids)
    ids = [ex.id for ex in examples]
    word_labels = None
    if labels is not None and is_labelled([ex.tags for ex in examples], ids):
        index = label_index(labels)
        word_labels = [[encode_label(tag, index, ex.id) for tag in ex.tags] for ex in examples]
    inputs, refs, stats = _windowed_features(columns, word_ids, [len(s) for s in sentences], max_length)
    if word_labels is not None:
        inputs["labels"] = [
            _owned_first_subtoken_labels(row, start, stop, word_labels[example])
            for row, start, stop, example in zip(
                refs["word_ids"], refs["owned_start"], refs["owned_stop"], refs["example_index"]
            )
        ]
    if stats["windowed_sentences"]:
        log.info("%d sentences longer than %d sub-words were split into windows",
                 stats["windowed_sentences"], max_length)
    return FeatureSet(
        kind="tagging",
        inputs=inputs,
        refs=refs,
        examples={"example_id": ids, "n_words": [len(ex.tokens) for ex in examples]},
        info={"max_length": max_length, "words_replaced_by_unk": replaced, **stats},
    )


# How far consecutive windows of a long sentence advance, as a fraction of a window. Overlap
# lets every word be predicted from a window where it has context on both sides.
WINDOW_ADVANCE = 0.5


def word_windows(counts: Sequence[int], capacity: int, advance: float = WINDOW_ADVANCE) -> list[Window]:
    """Windows over words with `counts` sub-tokens each (all >= 1), at most `capacity` sub-tokens
    per window (a lone word longer than that is its own window and gets cut).

    Each window starts about `advance` of a window after the previous one. A word in several
    windows belongs to the one where its context on the poorer side is largest (BERT's
    "max context" rule, earliest on ties); such owners form contiguous runs in window order, so
    every word is owned by exactly one window and windows owning nothing are dropped.
    """
    offsets = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])  # tokens before word w
    n = len(counts)
    if offsets[n] <= capacity:
        return [Window(0, n, 0, n)]
    step = max(1, round(capacity * advance))
    spans, start = [], 0
    while True:
        fits = int(np.searchsorted(offsets, offsets[start] + capacity, side="right")) - 1
        stop = max(start + 1, fits)
        spans.append((start, stop))
        if stop >= n:
            break
        start = min(stop, int(np.searchsorted(offsets, offsets[start] + step, side="left")))
    owner = _max_context_owners(offsets, spans)
    windows = []
    for k, (s, e) in enumerate(spans):
        owned = np.flatnonzero(owner == k)
        if len(owned):
            windows.append(Window(s, e, int(owned[0]), int(owned[-1]) + 1))
    return windows


def _max_context_owners(offsets: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    """For each word, the index of the span giving it the most context on its poorer side."""
    n = len(offsets) - 1
    best = np.full(n, -1, dtype=np.int64)
    owner = np.zeros(n, dtype=np.int64)
    for k, (s, e) in enumerate(spans):
        words = np.arange(s, e)
        context = np.minimum(offsets[words] - offsets[s], offsets[e] - offsets[words + 1])
        better = context > best[words]  # strict: ties stay with the earlier window
        best[words[better]] = context[better]
        owner[words[better]] = k
    return owner


def tags_from_logits(
    feature_set: FeatureSet, logits: Sequence | np.ndarray, labels: Sequence[str]
) -> list[list[str]]:
    """One tag per original word: argmax at the word's first sub-token in the window owning it.

    Every word must get a prediction; a word without one means the features do not match the
    examples, which is an error (there is no fallback tag).
    """
    tags: list[list[str | None]] = [[None] * n for n in feature_set.examples["n_words"]]
    for feature, example in enumerate(feature_set.refs["example_index"]):
        row_word_ids = feature_set.refs["word_ids"][feature]
        predicted = np.asarray(logits[feature][: len(row_word_ids)]).argmax(axis=-1)
        for position in _owned_positions(feature_set, feature):
            tags[example][row_word_ids[position]] = labels[int(predicted[position])]
    missing = sum(tag is None for sentence in tags for tag in sentence)
    if missing:
        raise XstiltsError(
            f"{missing} words have no prediction: the tagging features do not cover their sentences"
        )
    return tags  # type: ignore[return-value]  # no None left


def first_subtoken_positions(word_ids: Sequence[int]) -> list[int]:
    return [
        pos
        for pos, word in enumerate(word_ids)
        if word != NO_WORD and (pos == 0 or word_ids[pos - 1] != word)
    ]


def _owned_positions(feature_set: FeatureSet, feature: int) -> list[int]:
    refs = feature_set.refs
    start, stop = refs["owned_start"][feature], refs["owned_stop"][feature]
    word_ids = refs["word_ids"][feature]
    return [pos for pos in first_subtoken_positions(word_ids) if start <= word_ids[pos] < stop]


def _owned_first_subtoken_labels(
    word_ids: Sequence[int], start: int, stop: int, word_labels: Sequence[int]
) -> list[int]:
    row = [IGNORE_INDEX] * len(word_ids)
    for pos in first_subtoken_positions(word_ids):
        if start <= word_ids[pos] < stop:
            row[pos] = word_labels[word_ids[pos]]
    return row


def _windowed_features(
    columns: dict[str, list], word_ids: list[list[int]], n_words: list[int], max_length: int
) -> tuple[dict[str, list], dict[str, list], dict[str, int]]:
    """Cut each full-sentence encoding into windows: every window keeps the sentence's special
    tokens around a slice of its sub-tokens; word_ids stay sentence-wide word indices."""
    inputs: dict[str, list] = {name: [] for name in columns}
    refs: dict[str, list] = {"example_index": [], "word_ids": [], "owned_start": [], "owned_stop": []}
    stats = {"windowed_sentences": 0, "windows": 0, "words_cut_to_window": 0}
    for example, row_word_ids in enumerate(word_ids):
        cuts = _sentence_cuts(row_word_ids, n_words[example], max_length)
        if len(cuts) > 1:
            stats["windowed_sentences"] += 1
            stats["windows"] += len(cuts)
        for cut in cuts:
            stats["words_cut_to_window"] += cut.word_cut
            for name, column in columns.items():
                inputs[name].append(cut.take(column[example]))
            refs["example_index"].append(example)
            refs["word_ids"].append(cut.take(row_word_ids))
            refs["owned_start"].append(cut.window.owned_start)
            refs["owned_stop"].append(cut.window.owned_stop)
    return inputs, refs, stats


@dataclass(frozen=True)
class _Cut:
    """One window of an encoded sentence: special tokens row[:head] and row[tail:] around the
    window's sub-tokens row[start:stop]."""

    head: int
    start: int
    stop: int
    tail: int
    window: Window
    word_cut: bool = False  # a lone word longer than a window, kept to its first sub-tokens

    def take(self, row: list) -> list:
        return row[: self.head] + row[self.start : self.stop] + row[self.tail :]


def _sentence_cuts(row_word_ids: list[int], n_words: int, max_length: int) -> list[_Cut]:
    content = [pos for pos, word in enumerate(row_word_ids) if word != NO_WORD]
    head, tail = (content[0], content[-1] + 1) if content else (len(row_word_ids), len(row_word_ids))
    if len(row_word_ids) <= max_length:
        return [_Cut(head, head, tail, tail, Window(0, n_words, 0, n_words))]
    capacity = max_length - head - (len(row_word_ids) - tail)
    if capacity < 1:
        raise XstiltsError(f"max_length {max_length} leaves no room for words between special tokens")
    first = [head + offset for offset in _word_first_offsets(row_word_ids[head:tail], n_words)]
    first.append(tail)
    cuts = []
    for window in word_windows([first[w + 1] - first[w] for w in range(n_words)], capacity):
        start, stop = first[window.start], first[window.stop]
        cuts.append(_Cut(head, start, min(stop, start + capacity), tail, window, stop - start > capacity))
    return cuts


def _word_first_offsets(content_word_ids: Sequence[int], n_words: int) -> list[int]:
    """Position of each word's first sub-token; the fast tokenizer keeps a word's sub-tokens
    together and in word order, which windows of whole words rely on, so this checks it."""
    first = first_subtoken_positions(content_word_ids)
    if [content_word_ids[pos] for pos in first] != list(range(n_words)):
        raise XstiltsError("the tokenizer did not keep each word's sub-tokens together and in order")
    return first


def _encode_words(tokenizer, sentences: list[list[str]]) -> tuple[dict[str, list], list[list[int]]]:
    # Whole sentences, never truncated (windows are cut afterwards); verbose=False silences the
    # "longer than the model's maximum length" warning, which does not apply to windows.
    encoded = tokenizer(sentences, is_split_into_words=True, truncation=False, verbose=False)
    columns = {name: [list(row) for row in encoded[name]] for name in encoded}
    word_ids = [[NO_WORD if w is None else w for w in encoded.word_ids(i)] for i in range(len(sentences))]
    return columns, word_ids


def _repair_silent_words(
    tokenizer, sentences: list[list[str]], columns: dict[str, list], word_ids: list[list[int]]
) -> int:
    """Re-encode, in place, sentences holding words the tokenizer drops entirely (for XLM-R the
    empty string; other vocabularies also drop control characters), with those words replaced
    by the unknown token, so every word keeps a first sub-token: a label and a prediction.
    Returns how many words were replaced.
    """
    repaired: dict[int, list[str]] = {}
    for i, sentence in enumerate(sentences):
        silent = set(range(len(sentence))) - set(word_ids[i])
        if silent:
            repaired[i] = [tokenizer.unk_token if w in silent else word for w, word in enumerate(sentence)]
    if repaired:
        new_columns, new_word_ids = _encode_words(tokenizer, list(repaired.values()))
        for row, i in enumerate(repaired):
            word_ids[i] = new_word_ids[row]
            for name, column in columns.items():
                column[i] = new_columns[name][row]
    replaced = sum(
        fixed.count(tokenizer.unk_token) - sentences[i].count(tokenizer.unk_token)
        for i, fixed in repaired.items()
    )
    if replaced:
        log.info("%d words produce no sub-tokens and were encoded as %s", replaced, tokenizer.unk_token)
    return replaced
