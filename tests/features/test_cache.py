from __future__ import annotations

import pytest

from xstilts.data.examples import Answer, ChoiceExample, ClassificationExample, SpanExample, TaggingExample
from xstilts.features import (
    cached_featurize,
    feature_cache_key,
    featurize,
    load_feature_set,
    save_feature_set,
)
from xstilts.features.cache import cache_key, examples_fingerprint, tokenizer_fingerprint


class CountingTokenizer:
    """Delegates to a real tokenizer and counts encode calls."""

    def __init__(self, tokenizer):
        self._tokenizer = tokenizer
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self._tokenizer(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._tokenizer, name)


SPANS = [
    SpanExample(id="a", question="Who?", context="Ada wrote it.", answers=(Answer("Ada", 0),)),
    SpanExample(
        id="b", question="What?", context="A long story about nothing.", answers=(), is_impossible=True
    ),
]


def build(tokenizer, examples=SPANS, max_length=64):
    return lambda: featurize("span_extraction", examples, tokenizer, max_length=max_length, doc_stride=16)


def key(tokenizer, examples=SPANS, max_length=64):
    return feature_cache_key(
        tokenizer=tokenizer,
        task="squad",
        split="dev",
        language="en",
        max_length=max_length,
        examples=examples,
        doc_stride=16,
    )


def test_second_call_does_not_tokenize(tokenizer, tmp_path):
    counting = CountingTokenizer(tokenizer)
    first = cached_featurize(tmp_path, key(tokenizer), build(counting))
    calls_after_build = counting.calls
    assert calls_after_build > 0
    second = cached_featurize(tmp_path, key(tokenizer), build(counting))
    assert counting.calls == calls_after_build
    assert second.inputs == first.inputs and second.refs == first.refs and second.examples == first.examples
    assert second.kind == first.kind and second.info == first.info
    assert [p.name for p in tmp_path.iterdir()] == [cache_key(key(tokenizer))], "no temp folders left behind"


def test_key_changes_with_everything_that_changes_features(tokenizer):
    base = cache_key(key(tokenizer))
    edited = [
        SPANS[0],
        SpanExample(id="b", question="What?", context="Edited.", answers=(), is_impossible=True),
    ]
    assert cache_key(key(tokenizer, examples=edited)) != base
    assert cache_key(key(tokenizer, examples=SPANS[:1])) != base
    assert cache_key(key(tokenizer, max_length=128)) != base
    other_split = feature_cache_key(
        tokenizer=tokenizer,
        task="squad",
        split="train",
        language="en",
        max_length=64,
        examples=SPANS,
        doc_stride=16,
    )
    assert cache_key(other_split) != base
    relabelled = feature_cache_key(
        tokenizer=tokenizer,
        task="squad",
        split="dev",
        language="en",
        max_length=64,
        examples=SPANS,
        labels=["b", "a"],
        doc_stride=16,
    )
    assert cache_key(relabelled) != base


def test_tokenizer_fingerprint_is_stable_across_use(tokenizer):
    before = tokenizer_fingerprint(tokenizer)
    tokenizer(["x " * 50], truncation=True, max_length=8, padding="max_length")
    assert tokenizer_fingerprint(tokenizer) == before
    assert len(before) == 32


def test_examples_fingerprint_depends_on_order_and_content():
    a = TaggingExample("1", ("a", "b"), ("O", "O"))
    b = TaggingExample("2", ("a",), ("O",))
    assert examples_fingerprint([a, b]) != examples_fingerprint([b, a])
    assert examples_fingerprint(["x y"]) != examples_fingerprint(["x", "y"])


def test_save_keeps_first_complete_copy(tokenizer, tmp_path):
    fs = build(tokenizer)()
    assert save_feature_set(fs, tmp_path / "fs") is True
    other = build(tokenizer, examples=SPANS[:1])()
    assert save_feature_set(other, tmp_path / "fs") is False
    assert load_feature_set(tmp_path / "fs").examples["example_id"] == ["a", "b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fs"]


ROUND_TRIP_INPUTS = {
    "pair_classification": (
        [ClassificationExample("p", "A man sleeps.", "Someone rests.", "entailment")],
        ["entailment", "neutral"],
    ),
    "multiple_choice": ([ChoiceExample("c", "Ctx.", "Q?", ("yes", "no", "maybe"), 2)], None),
    "span_extraction": (SPANS, None),
    "tagging": (
        [TaggingExample("t", ("Hello", "", "Welt"), ("O", "B-LOC", "I-LOC"))],
        ["O", "B-LOC", "I-LOC"],
    ),
    "retrieval": (["Guten Tag", "Good day"], None),
}


@pytest.mark.parametrize("kind", sorted(ROUND_TRIP_INPUTS))
def test_every_kind_survives_arrow_storage_unchanged(kind, tokenizer, tmp_path):
    examples, labels = ROUND_TRIP_INPUTS[kind]
    options = {"doc_stride": 16} if kind == "span_extraction" else {}
    fs = featurize(kind, examples, tokenizer, max_length=32, labels=labels, **options)
    save_feature_set(fs, tmp_path / kind)
    assert load_feature_set(tmp_path / kind) == fs
