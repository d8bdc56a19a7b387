"""Token tagging features (NER, POS) over pre-tokenised words, and predictions back to words.

The first sub-token of each word carries the word's label; other sub-tokens and special tokens
get IGNORE_INDEX, so loss and prediction are both per word.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from xstilts.data.examples import TaggingExample
from xstilts.features.featureset import NO_WORD, FeatureSet
from xstilts.features.labels import IGNORE_INDEX, encode_label, is_labelled, label_index

log = logging.getLogger(__name__)


def featurize_tagging(
    examples: Sequence[TaggingExample],
    tokenizer,
    *,
    max_length: int,
    labels: Sequence[str] | None = None,
) -> FeatureSet:
    """One feature per sentence, truncated at max_length (words past it get a fallback tag)."""
    sentences = [list(ex.tokens) for ex in examples]
    inputs, word_ids = _encode_words(tokenizer, sentences, max_length)
    replaced = _repair_silent_words(tokenizer, sentences, max_length, inputs, word_ids)
    ids = [ex.id for ex in examples]
    if labels is not None and is_labelled([ex.tags for ex in examples], ids):
        index = label_index(labels)
        inputs["labels"] = [
            _first_subtoken_labels(row, [encode_label(tag, index, ex.id) for tag in ex.tags])
            for row, ex in zip(word_ids, examples)
        ]
    return FeatureSet(
        kind="tagging",
        inputs=inputs,
        refs={"example_index": list(range(len(examples))), "word_ids": word_ids},
        examples={"example_id": ids, "n_words": [len(ex.tokens) for ex in examples]},
        info={"max_length": max_length, "words_replaced_by_unk": replaced},
    )


def tags_from_logits(
    feature_set: FeatureSet,
    logits: Sequence | np.ndarray,
    labels: Sequence[str],
    *,
    default: str | None = None,
) -> list[list[str]]:
    """One tag per original word: argmax at each word's first sub-token.

    Words cut off by max_length have no prediction and get `default` (the first label when not
    given). How many is logged as a warning and available from `truncated_word_count`.
    """
    fallback = labels[0] if default is None else default
    tags = [[fallback] * n for n in feature_set.examples["n_words"]]
    for feature, example in enumerate(feature_set.refs["example_index"]):
        row_word_ids = feature_set.refs["word_ids"][feature]
        predicted = np.asarray(logits[feature][: len(row_word_ids)]).argmax(axis=-1)
        for position in first_subtoken_positions(row_word_ids):
            tags[example][row_word_ids[position]] = labels[int(predicted[position])]
    missing = truncated_word_count(feature_set)
    if missing:
        log.warning("%d words were truncated away by max_length and tagged %r", missing, fallback)
    return tags


def truncated_word_count(feature_set: FeatureSet) -> int:
    """Words with no sub-token in any feature (cut off by max_length): they get no prediction."""
    covered = [0] * feature_set.num_examples
    for feature, example in enumerate(feature_set.refs["example_index"]):
        covered[example] += len(first_subtoken_positions(feature_set.refs["word_ids"][feature]))
    return sum(n - c for n, c in zip(feature_set.examples["n_words"], covered))


def first_subtoken_positions(word_ids: Sequence[int]) -> list[int]:
    return [
        pos
        for pos, word in enumerate(word_ids)
        if word != NO_WORD and (pos == 0 or word_ids[pos - 1] != word)
    ]


def _first_subtoken_labels(word_ids: Sequence[int], word_labels: Sequence[int]) -> list[int]:
    row = [IGNORE_INDEX] * len(word_ids)
    for pos in first_subtoken_positions(word_ids):
        row[pos] = word_labels[word_ids[pos]]
    return row


def _encode_words(
    tokenizer, sentences: list[list[str]], max_length: int
) -> tuple[dict[str, list], list[list[int]]]:
    encoded = tokenizer(sentences, is_split_into_words=True, truncation=True, max_length=max_length)
    columns = {name: list(encoded[name]) for name in encoded}
    word_ids = [[NO_WORD if w is None else w for w in encoded.word_ids(i)] for i in range(len(sentences))]
    return columns, word_ids


def _repair_silent_words(
    tokenizer,
    sentences: list[list[str]],
    max_length: int,
    columns: dict[str, list],
    word_ids: list[list[int]],
) -> int:
    """Re-encode, in place, sentences holding words the tokenizer drops entirely (for XLM-R the
    empty string; other vocabularies also drop control characters), with those words replaced
    by the unknown token, so every word keeps a first sub-token: a label and a prediction.
    Returns how many words were replaced.
    """
    repaired: dict[int, list[str]] = {}
    for i, sentence in enumerate(sentences):
        silent = _silent_words(word_ids[i], len(sentence), truncated=len(word_ids[i]) >= max_length)
        if silent:
            repaired[i] = [tokenizer.unk_token if w in silent else word for w, word in enumerate(sentence)]
    if repaired:
        new_columns, new_word_ids = _encode_words(tokenizer, list(repaired.values()), max_length)
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


def _silent_words(row_word_ids: Sequence[int], n_words: int, truncated: bool) -> set[int]:
    """Words absent from the encoding although it did not run out of room before them.

    In a truncated encoding the missing words after the last one seen were cut off, not dropped;
    they get the fallback tag and are counted by `truncated_word_count`.
    """
    seen = set(row_word_ids) - {NO_WORD}
    if len(seen) == n_words:
        return set()
    end = max(seen, default=-1) if truncated else n_words
    return set(range(end)) - seen
