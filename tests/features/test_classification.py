from __future__ import annotations

import pytest

from xstilts.data.examples import ClassificationExample
from xstilts.errors import XstiltsError
from xstilts.features import featurize

NLI_LABELS = ["entailment", "neutral", "contradiction"]


def pair(i: int, a: str, b: str, label: str | None) -> ClassificationExample:
    return ClassificationExample(id=f"ex{i}", text_a=a, text_b=b, label=label)


def test_pair_encoding_has_xlmr_layout(tokenizer):
    encoded = tokenizer("a", "b")
    tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"])
    assert tokens == ["<s>", "▁a", "</s>", "</s>", "▁b", "</s>"]


def test_pair_features_map_labels_by_list_order(tokenizer):
    examples = [
        pair(0, "A man sleeps.", "Someone rests.", "entailment"),
        pair(1, "A man sleeps.", "Nobody sleeps.", "contradiction"),
        pair(2, "A man sleeps.", "He dreams.", "neutral"),
    ]
    fs = featurize("pair_classification", examples, tokenizer, max_length=64, labels=NLI_LABELS)
    assert fs.inputs["labels"] == [0, 2, 1]
    assert fs.kind == "pair_classification"
    assert fs.examples["example_id"] == ["ex0", "ex1", "ex2"]
    first = tokenizer.convert_ids_to_tokens(fs[0]["input_ids"])
    assert first[0] == "<s>" and first.count("</s>") == 3
    assert set(fs[0]) == {"input_ids", "attention_mask", "labels"}


def test_longest_first_truncation_keeps_both_segments(tokenizer):
    long_a = " ".join(["word"] * 200)
    fs = featurize(
        "pair_classification",
        [pair(0, long_a, "short hypothesis", "neutral")],
        tokenizer,
        max_length=32,
        labels=NLI_LABELS,
    )
    tokens = tokenizer.convert_ids_to_tokens(fs[0]["input_ids"])
    assert len(tokens) == 32
    second = tokens[tokens.index("</s>") + 2 : -1]
    assert tokenizer.convert_tokens_to_string(second).strip() == "short hypothesis"


def test_single_sentence_classification(tokenizer):
    examples = [ClassificationExample(id="s", text_a="great movie", text_b=None, label="1")]
    fs = featurize("classification", examples, tokenizer, max_length=16, labels=["0", "1"])
    assert fs.inputs["labels"] == [1]
    assert tokenizer.convert_ids_to_tokens(fs[0]["input_ids"]) == ["<s>", "▁great", "▁movie", "</s>"]


def test_unlabelled_examples_have_no_labels_column(tokenizer):
    fs = featurize(
        "pair_classification", [pair(0, "a", "b", None)], tokenizer, max_length=16, labels=NLI_LABELS
    )
    assert "labels" not in fs.inputs


def test_unknown_label_names_example(tokenizer):
    with pytest.raises(XstiltsError, match="ex0.*'maybe'"):
        featurize(
            "pair_classification", [pair(0, "a", "b", "maybe")], tokenizer, max_length=16, labels=NLI_LABELS
        )


def test_partly_labelled_data_is_an_error(tokenizer):
    examples = [pair(0, "a", "b", "neutral"), pair(1, "a", "b", None)]
    with pytest.raises(XstiltsError, match="1 of 2 examples have no label"):
        featurize("pair_classification", examples, tokenizer, max_length=16, labels=NLI_LABELS)


def test_mixed_single_and_pair_is_an_error(tokenizer):
    examples = [pair(0, "a", "b", "neutral"), ClassificationExample("x", "a", None, "neutral")]
    with pytest.raises(XstiltsError, match="mix single sentences and pairs"):
        featurize("pair_classification", examples, tokenizer, max_length=16, labels=NLI_LABELS)


def test_registry_rejects_unknown_kind_and_empty_input(tokenizer):
    with pytest.raises(XstiltsError, match="unknown task kind"):
        featurize("regression", [pair(0, "a", "b", None)], tokenizer, max_length=16)
    with pytest.raises(XstiltsError, match="no tagging examples"):
        featurize("tagging", [], tokenizer, max_length=16)


def test_feature_set_kind_is_the_kind_asked_for(tokenizer):
    fs = featurize(
        "classification", [pair(0, "a", "b", "neutral")], tokenizer, max_length=16, labels=NLI_LABELS
    )
    assert fs.kind == "classification"
    assert tokenizer.convert_ids_to_tokens(fs[0]["input_ids"]).count("</s>") == 3
