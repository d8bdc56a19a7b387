from __future__ import annotations

from xstilts.features import featurize


def test_sentences_become_single_sequences_with_ids_and_prefix(tokenizer):
    fs = featurize(
        "retrieval",
        ["Guten Tag", "Hello there"],
        tokenizer,
        max_length=16,
        ids=["de-1", "de-2"],
        prefix="query: ",
    )
    assert fs.examples["example_id"] == ["de-1", "de-2"]
    assert set(fs[0]) == {"input_ids", "attention_mask"}
    assert tokenizer.decode(fs[1]["input_ids"], skip_special_tokens=True) == "query: Hello there"


def test_default_ids_are_positions_and_truncation_applies(tokenizer):
    fs = featurize("retrieval", ["word " * 50, "short"], tokenizer, max_length=10)
    assert fs.examples["example_id"] == ["0", "1"]
    assert fs.lengths() == [10, 3]
