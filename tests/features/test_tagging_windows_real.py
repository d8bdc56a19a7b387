"""PAN-X ja and zh dev at max_length 128 with the real e5 tokenizer: every word gets a prediction.

Their "words" are single characters, each costing "▁" + a piece, so about 9 % of ja and 6 % of
zh dev sentences exceed 128 sub-words. Plain truncation left tens of thousands of their words
without a prediction; windowing must leave none.
"""

from __future__ import annotations

import pytest

from xstilts.data.splits import read_split
from tagging_checks import one_hot_gold, unpredicted_word_count
from xstilts.features import (
    featurize,
    tags_from_logits,
)
from xstilts.features.tagging import first_subtoken_positions
from xstilts.tasks.registry import get_task

MAX_LENGTH = 128


def predicted_words(fs) -> list[set[int]]:
    """Per sentence, the words some feature predicts (first sub-token inside its owned range)."""
    seen: list[set[int]] = [set() for _ in range(fs.num_examples)]
    for f, example in enumerate(fs.refs["example_index"]):
        word_ids = fs.refs["word_ids"][f]
        start, stop = fs.refs["owned_start"][f], fs.refs["owned_stop"][f]
        for pos in first_subtoken_positions(word_ids):
            if start <= word_ids[pos] < stop:
                assert word_ids[pos] not in seen[example], "a word is predicted twice"
                seen[example].add(word_ids[pos])
    return seen


def words_cut_by_truncation(tokenizer, examples) -> int:
    """What plain truncation at MAX_LENGTH (the old behaviour) left without a prediction."""
    encoded = tokenizer([list(ex.tokens) for ex in examples], is_split_into_words=True, truncation=True,
                        max_length=MAX_LENGTH)
    return sum(len(ex.tokens) - len(set(encoded.word_ids(i)) - {None}) for i, ex in enumerate(examples))


@pytest.mark.parametrize("lang", ["ja", "zh"])
def test_every_word_of_panx_dev_gets_a_prediction_at_128(lang, tokenizer, data_dir):
    spec = get_task("panx")
    examples = read_split(spec, data_dir, "dev", lang)
    fs = featurize("tagging", examples, tokenizer, max_length=MAX_LENGTH, labels=spec.labels)
    assert max(fs.lengths()) <= MAX_LENGTH
    seen = predicted_words(fs)
    unpredicted = sum(len(ex.tokens) - len(words) for ex, words in zip(examples, seen))
    windowed = fs.info["windowed_sentences"]
    cut_before = words_cut_by_truncation(tokenizer, examples)
    print(f"\npanx dev-{lang}: {len(examples)} sentences, {windowed} split into {fs.info['windows']} windows; "
          f"words without a prediction: {cut_before} under truncation, {unpredicted} now")
    assert unpredicted == 0 and unpredicted_word_count(fs) == 0
    assert windowed > 0 and cut_before > 0, "the file must hold sentences longer than one window"
    assert windowed == sum(n > MAX_LENGTH for n in featurize(
        "tagging", examples, tokenizer, max_length=4096, labels=spec.labels).lengths())
    # The gold labels of every word come back, in order, through the windows.
    assert tags_from_logits(fs, one_hot_gold(fs, len(spec.labels)), spec.labels) == [
        list(ex.tags) for ex in examples
    ]
