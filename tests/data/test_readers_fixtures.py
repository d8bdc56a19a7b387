"""Readers for formats the data pack lacks, on small hand-written files in tests/fixtures/readers."""

from __future__ import annotations

from pathlib import Path

import pytest

from xstilts.data.examples import Answer, ChoiceExample, ClassificationExample, SpanExample, TaggingExample
from xstilts.data.readers import detect_format, read, reader_options
from xstilts.errors import ConfigError, DataError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "readers"
NLI = ("entailment", "neutral", "contradiction")


def test_pawsx_final_uses_the_dataset_ids():
    examples = read("pawsx_final_tsv", FIXTURES / "pawsx_final_dev.tsv", labels=("0", "1"))
    assert [(e.id, e.label) for e in examples] == [("1", "1"), ("2", "0"), ("3", "1")]
    assert examples[2].text_a == 'The band recorded "Night Train" live.'


def test_glue_mnli_finds_its_columns_and_tolerates_an_extra_column():
    examples = read("glue_tsv", FIXTURES / "mnli_dev_matched.tsv", labels=NLI)
    assert [e.id for e in examples] == ["101n", "102c", "103n"]
    assert [e.label for e in examples] == ["entailment", "contradiction", "neutral"]
    # Quotes are text, not CSV quoting.
    assert examples[1].text_a == 'The office opens at "nine" sharp.'
    explicit = read(
        "glue_tsv",
        FIXTURES / "mnli_dev_matched.tsv",
        text_a="sentence1",
        text_b="sentence2",
        label="gold_label",
    )
    assert [(e.text_a, e.text_b, e.label) for e in explicit] == [
        (e.text_a, e.text_b, e.label) for e in examples
    ]


def test_glue_qqp_train_and_unlabelled_test():
    train = read("glue_tsv", FIXTURES / "qqp_train.tsv", labels=("0", "1"))
    assert train[0] == ClassificationExample(
        "7", "How do I learn to bake bread?", "What is the best way to learn bread baking?", "1"
    )
    test = read("glue_tsv", FIXTURES / "qqp_test.tsv", labels=("0", "1"))
    assert [e.label for e in test] == [None, None] and [e.id for e in test] == ["0", "1"]


def test_glue_explicit_column_missing_from_header_is_reported():
    with pytest.raises(DataError, match=r"qqp_train.tsv:1: column 'premise'"):
        read("glue_tsv", FIXTURES / "qqp_train.tsv", text_a="premise")


def test_anli_jsonl_maps_letters_to_names_by_default():
    examples = read("anli_jsonl", FIXTURES / "anli_r1_dev.jsonl", labels=NLI)
    assert [(e.id, e.label) for e in examples] == [
        ("a1-0001", "entailment"),
        ("a1-0002", "contradiction"),
        ("a1-0003", "neutral"),
    ]
    raw = read("anli_jsonl", FIXTURES / "anli_r1_dev.jsonl", label_map=None)
    assert [e.label for e in raw] == ["e", "c", "n"]


def test_snli_skips_pairs_without_a_gold_label_and_counts_them():
    examples = read("snli_jsonl", FIXTURES / "snli_dev.jsonl", labels=NLI)
    assert [e.id for e in examples] == ["1.jpg#0r1n", "2.jpg#1r1e"]
    assert examples.skipped == 1


def test_cosmosqa_jsonl_accepts_int_and_string_labels():
    examples = read("cosmosqa_jsonl", FIXTURES / "cosmosqa_valid.jsonl")
    assert [e.label for e in examples] == [1, 0]
    assert examples[0].choices[1] == "They walked in the rain." and len(examples[0].choices) == 4


def test_commonsenseqa_original_layout():
    examples = read("commonsenseqa_jsonl", FIXTURES / "commonsenseqa_original.jsonl")
    assert examples[0] == ChoiceExample(
        "csqa-001",
        "",
        "Where would you most likely open an umbrella?",
        ("kitchen", "desert", "rainy street", "library", "oven"),
        2,
    )
    assert examples[1].label is None  # no answerKey: a test-set line


def test_commonsenseqa_layouts_can_mix_line_by_line(tmp_path):
    original = (FIXTURES / "commonsenseqa_original.jsonl").read_text(encoding="utf-8").splitlines()[0]
    flat = (
        '{"id": "f1", "question": "Pick the fruit.", "choices": {"label": ["A", "B"], '
        '"text": ["stone", "apple"]}, "answerKey": "B"}'
    )
    path = tmp_path / "mixed.jsonl"
    path.write_text(f"{original}\n{flat}\n", encoding="utf-8")
    examples = read("commonsenseqa_jsonl", path)
    assert [(e.id, e.label, e.choices[e.label]) for e in examples] == [
        ("csqa-001", 2, "rainy street"),
        ("f1", 1, "apple"),
    ]


def test_hellaswag_split_and_whole_contexts():
    split, whole = read("hellaswag_jsonl", FIXTURES / "hellaswag_val.jsonl")
    assert (split.id, split.context, split.question, split.label) == (
        "24",
        "A woman mixes flour and sugar in a bowl.",
        "she",
        2,
    )
    assert split.choices[split.label] == "adds eggs and stirs the dough."
    assert (whole.context, whole.question, whole.label) == (
        "A man turns on the tap and wets his hands.",
        "",
        1,
    )


def test_squad_v2_unanswerable_questions_have_no_answers():
    examples = read("squad_json", FIXTURES / "squad_v2_dev.json")
    assert [e.id for e in examples] == ["hb-1", "hb-2", "lv-1"]
    assert examples[0].answers == (Answer("1932", 28), Answer("in 1932", 25))
    assert examples[1].is_impossible and examples[1].answers == ()
    assert examples[2] == SpanExample(
        "lv-1",
        "Until when do skaters cross Lake Vinter?",
        "Lake Vinter freezes every winter; skaters cross it from December until March.",
        (Answer("March", 71),),
        False,
        "Lake_Vinter",
    )


def test_wikiann_drops_index_and_language_prefix():
    examples = read(
        "wikiann_conll",
        FIXTURES / "wikiann_en.conll",
        labels=("O", "B-PER", "I-PER", "B-LOC", "B-ORG", "I-ORG"),
    )
    assert examples == [
        TaggingExample(
            "wikiann_en:1", ("Marie", "Curie", "worked", "in", "Paris"), ("B-PER", "I-PER", "O", "O", "B-LOC")
        ),
        TaggingExample("wikiann_en:7", ("The", "United", "Nations"), ("O", "B-ORG", "I-ORG")),
    ]


def test_xtreme_tagging_strips_a_shared_language_prefix():
    examples = read("xtreme_tagging_tsv", FIXTURES / "panx_lang_prefixed.tsv")
    assert [e.tokens for e in examples] == [("Sioux", "Falls", "Arena"), ("Paris", "is", "big")]


def test_ccg_supertags_keep_tokens_and_categories_verbatim():
    examples = read("ccg_supertag", FIXTURES / "ccg_supertags.txt")
    assert examples[1] == TaggingExample(
        "ccg_supertags:5", ("She", "reads", "books"), ("NP", "(S[dcl]\\NP)/NP", "N")
    )


@pytest.mark.parametrize(
    "name, fmt",
    [
        ("pawsx_final_dev.tsv", "pawsx_final_tsv"),
        ("mnli_dev_matched.tsv", "glue_tsv"),
        ("qqp_test.tsv", "glue_tsv"),
        ("anli_r1_dev.jsonl", "anli_jsonl"),
        ("snli_dev.jsonl", "snli_jsonl"),
        ("cosmosqa_valid.jsonl", "cosmosqa_jsonl"),
        ("commonsenseqa_original.jsonl", "commonsenseqa_jsonl"),
        ("hellaswag_val.jsonl", "hellaswag_jsonl"),
        ("squad_v2_dev.json", "squad_json"),
        ("wikiann_en.conll", "wikiann_conll"),
        ("ccg_supertags.txt", "ccg_supertag"),
        ("panx_lang_prefixed.tsv", "xtreme_tagging_tsv"),
    ],
)
def test_detect_format_tells_variants_apart(name, fmt):
    assert detect_format(FIXTURES / name) == fmt


def test_unknown_format_and_option_are_config_errors():
    with pytest.raises(ConfigError, match="config key 'format'"):
        read("csv", FIXTURES / "qqp_test.tsv")
    with pytest.raises(ConfigError, match="config key 'options.colum'"):
        read("conllu", FIXTURES / "qqp_test.tsv", colum="xpos")
    assert reader_options("glue_tsv") == ["label_map", "text_a", "text_b", "label", "id_column"]
    assert reader_options("conllu") == ["column"]
