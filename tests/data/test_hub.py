"""Hub loading, offline: in-memory `datasets.Dataset`s with the hub's real column names and
feature types stand in for `load_dataset`, and each mapped split is compared with what the file
reader returns for the same content written to a file.

Schemas follow the hub dataset cards: google/xtreme (PAWS-X label is a *string*; PAN-X ner_tags
and UD-POS pos_tags are lists of ClassLabel; tatoeba has source_sentence/target_sentence),
facebook/xnli and stanfordnlp/snli (ClassLabel entailment/neutral/contradiction, SNLI -1 = no
consensus), nyu-mll/glue sst2 (ClassLabel negative/positive), allenai/cosmos_qa (answer0..3,
int label), Rowan/hellaswag (ctx_a/ctx_b/ctx, endings list, label string), tau/commonsense_qa
(choices {label, text}, answerKey), rajpurkar/squad and squad_v2 (answers {text, answer_start}).
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import datasets
import huggingface_hub.constants
import pytest
from datasets import ClassLabel, Dataset, Features, List, Value

from xstilts.data.hub import hub_config_name, load_hub_split, validate_hub_columns
from xstilts.data.readers import read
from xstilts.errors import ConfigError, DataError
from xstilts.tasks.registry import all_tasks, get_task
from xstilts.tasks.spec import TaskSpec

NLI = ["entailment", "neutral", "contradiction"]
PANX_TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
STRING = Value("string")


class FakeHub:
    """Stands in for datasets.load_dataset: serves one dataset and records how it was asked for."""

    def __init__(self, dataset: Dataset):
        self.dataset = dataset
        self.calls: list[tuple[str, str | None, str]] = []

    def __call__(self, path: str, name: str | None = None, *, split: str) -> Dataset:
        self.calls.append((path, name, split))
        return self.dataset


def hub_dataset(rows: dict[str, list], features: dict) -> Dataset:
    return Dataset.from_dict(rows, features=Features(features))


def read_like_spec(spec: TaskSpec, split: str, path: Path):
    """What the file path gives: the reader and options the spec names for this split."""
    source = spec.sources(split)[0]
    return read(source.format, path, labels=spec.labels, **source.options)


def with_hub_columns(name: str, **columns) -> TaskSpec:
    """A shipped spec with hub column changes the hub report proposes (ids, titles, HellaSwag context)."""
    spec = get_task(name)
    hub = spec.hub.model_copy(update={"columns": {**spec.hub.columns, **columns}})
    return spec.model_copy(update={"hub": hub})


def without_ids(examples) -> list:
    return [replace(example, id="") for example in examples]


# --- config names ------------------------------------------------------------------------------


def test_config_names_fill_lang_code_and_name():
    assert hub_config_name(get_task("pawsx"), "de") == "PAWS-X.de"
    assert hub_config_name(get_task("udpos"), "de") == "udpos.German"
    assert hub_config_name(get_task("udpos"), "zh") == "udpos.Chinese"
    assert hub_config_name(get_task("tatoeba"), "fa") == "tatoeba.pes"
    assert hub_config_name(get_task("tatoeba"), "zh") == "tatoeba.cmn"
    assert hub_config_name(get_task("xnli"), "sw") == "sw"
    assert hub_config_name(get_task("snli"), "en") is None


def test_a_language_without_a_hub_name_is_a_config_error():
    udpos = get_task("udpos")
    names = {lang: name for lang, name in udpos.hub.names.items() if lang != "de"}
    spec = udpos.model_copy(update={"hub": udpos.hub.model_copy(update={"names": names})})
    with pytest.raises(ConfigError, match=r"udpos.hub.names.*'de'"):
        hub_config_name(spec, "de")


def test_every_shipped_hub_entry_maps_the_fields_its_kind_takes():
    with_hub = [spec for spec in all_tasks().values() if spec.hub is not None]
    assert len(with_hub) >= 12
    for spec in with_hub:
        validate_hub_columns(spec)


# --- classification and pairs -------------------------------------------------------------------


def test_pawsx_rows_equal_the_xtreme_pair_tsv_reader(tmp_path):
    rows = {
        "sentence1": ["The cat sat on the mat.", "He left early.", "Rain fell all day."],
        "sentence2": ["On the mat sat the cat.", "Early, he stayed.", "It rained all day long."],
        "label": ["1", "0", "1"],
    }
    hub = FakeHub(hub_dataset(rows, {"sentence1": STRING, "sentence2": STRING, "label": STRING}))
    spec = get_task("pawsx")
    examples = load_hub_split(spec, "dev", "en", load=hub)
    assert hub.calls == [("google/xtreme", "PAWS-X.en", "validation")]
    path = tmp_path / "dev-en.tsv"
    path.write_text("".join(f"{a}\t{b}\t{y}\n" for a, b, y in zip(*rows.values())), encoding="utf-8")
    assert examples == read_like_spec(spec, "dev", path)  # ids included: both are dev-en:<line>


def test_xnli_class_label_indices_become_label_names(tmp_path):
    rows = {
        "premise": ["Der Hund schläft.", "Es regnet.", "Sie liest ein Buch."],
        "hypothesis": ["Ein Tier ruht.", "Die Sonne scheint.", "Sie liest."],
        "label": [0, 2, 1],
    }
    features = {"premise": STRING, "hypothesis": STRING, "label": ClassLabel(names=NLI)}
    hub = FakeHub(hub_dataset(rows, features))
    spec = get_task("xnli")
    examples = load_hub_split(spec, "test", "de", load=hub)
    assert hub.calls == [("facebook/xnli", "de", "test")]
    assert [e.label for e in examples] == ["entailment", "contradiction", "neutral"]
    path = tmp_path / "test-de.tsv"
    labels = [NLI[i] for i in rows["label"]]
    lines = zip(rows["premise"], rows["hypothesis"], labels)
    path.write_text("".join(f"{a}\t{b}\t{y}\n" for a, b, y in lines), encoding="utf-8")
    assert examples == read_like_spec(spec, "test", path)


def test_snli_no_consensus_rows_are_skipped_and_counted(tmp_path):
    rows = {
        "premise": ["A dog runs.", "A dog runs.", "Two kids build a sandcastle."],
        "hypothesis": ["The dog chases a ball.", "The animal is outside.", "Kids play with sand."],
        "label": [1, -1, 0],
    }
    features = {"premise": STRING, "hypothesis": STRING, "label": ClassLabel(names=NLI)}
    examples = load_hub_split(get_task("snli"), "dev", "en", load=FakeHub(hub_dataset(rows, features)))
    path = tmp_path / "snli_1.0_dev.jsonl"
    gold = ["neutral", "-", "entailment"]
    records = [
        {"sentence1": a, "sentence2": b, "gold_label": y, "pairID": f"p{n}"}
        for n, (a, b, y) in enumerate(zip(rows["premise"], rows["hypothesis"], gold))
    ]
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    from_file = read_like_spec(get_task("snli"), "dev", path)
    # The hub copy carries no pairID, so only the ids differ.
    assert without_ids(examples) == without_ids(from_file)
    assert examples.skipped == from_file.skipped == 1
    # Without an id column a row is named by its line in the spec's file (snli_1.0_dev.jsonl).
    assert [e.id for e in examples] == ["snli_1.0_dev:1", "snli_1.0_dev:3"]


def test_sst2_named_classes_map_to_the_glue_digit_labels(tmp_path):
    rows = {"sentence": ["a gripping film ", "dull and slow "], "label": [1, 0], "idx": [0, 1]}
    sst2_classes = ClassLabel(names=["negative", "positive"])
    features = {"sentence": STRING, "label": sst2_classes, "idx": Value("int32")}
    hub = FakeHub(hub_dataset(rows, features))
    examples = load_hub_split(get_task("sst2"), "dev", "en", load=hub)
    assert hub.calls == [("nyu-mll/glue", "sst2", "validation")]
    path = tmp_path / "dev.tsv"
    path.write_text("sentence\tlabel\na gripping film \t1\ndull and slow \t0\n", encoding="utf-8")
    assert [e.label for e in examples] == ["1", "0"]
    assert without_ids(examples) == without_ids(read_like_spec(get_task("sst2"), "dev", path))


def test_a_label_outside_the_spec_names_the_dataset_and_row():
    rows = {"sentence1": ["a", "b"], "sentence2": ["c", "d"], "label": ["1", "2"]}
    hub = FakeHub(hub_dataset(rows, {"sentence1": STRING, "sentence2": STRING, "label": STRING}))
    with pytest.raises(DataError, match=r"google/xtreme \(PAWS-X.en, validation\): row 1: unknown label '2'"):
        load_hub_split(get_task("pawsx"), "dev", "en", load=hub)


def test_a_negative_class_index_is_an_error_unless_the_spec_skips_it():
    rows = {"premise": ["a"], "hypothesis": ["b"], "label": [-1]}
    features = {"premise": STRING, "hypothesis": STRING, "label": ClassLabel(names=NLI)}
    with pytest.raises(DataError, match=r"row 0: unknown label -1"):
        load_hub_split(get_task("xnli"), "dev", "en", load=FakeHub(hub_dataset(rows, features)))


# --- multiple choice ------------------------------------------------------------------------------


def test_cosmosqa_answer_columns_equal_the_csv_reader(tmp_path):
    rows = {
        "id": ["q1", "q2"],
        "context": ["I missed the bus, so I walked.", "The shop was closed."],
        "question": ["Why did I walk?", "What happened next?"],
        "answer0": ["I missed the bus.", "I went home."],
        "answer1": ["I like walking.", "I bought bread."],
        "answer2": ["It was sunny.", "I sang."],
        "answer3": ["None of the above.", "None of the above."],
        "label": [0, 0],
    }
    features = {name: STRING for name in rows} | {"label": Value("int32")}
    spec = with_hub_columns("cosmosqa", id="id")
    examples = load_hub_split(spec, "dev", "en", load=FakeHub(hub_dataset(rows, features)))
    path = tmp_path / "valid.csv"
    header = list(rows)
    lines = [",".join(header)] + [",".join(f'"{rows[c][i]}"' for c in header) for i in range(2)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert examples == read_like_spec(spec, "dev", path)
    assert examples[0].choices[0] == "I missed the bus." and examples[0].label == 0


def test_hellaswag_endings_list_and_digit_string_label_equal_the_jsonl_reader(tmp_path):
    record = {
        "ind": 24,
        "activity_label": "Baking cookies",
        "ctx_a": "A woman mixes flour and sugar in a bowl.",
        "ctx_b": "she",
        "ctx": "A woman mixes flour and sugar in a bowl. she",
        "endings": ["drives away.", "paints the fence.", "adds eggs and stirs.", "swims."],
        "source_id": "activitynet~v_x",
        "split": "val",
        "split_type": "indomain",
        "label": "2",
    }
    features = {name: STRING for name in record} | {"ind": Value("int32"), "endings": List(STRING)}
    dataset = hub_dataset({name: [value] for name, value in record.items()}, features)
    # The shipped spec maps ctx to the context; the reader splits it into ctx_a (context) and
    # ctx_b (the sentence start the endings complete), which this mapping reproduces.
    spec = with_hub_columns("hellaswag", context="ctx_a", question="ctx_b", id="ind")
    examples = load_hub_split(spec, "dev", "en", load=FakeHub(dataset))
    path = tmp_path / "hellaswag_val.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert examples == read_like_spec(spec, "dev", path)
    assert examples[0].label == 2 and examples[0].id == "24"


def test_commonsenseqa_answer_key_letter_indexes_the_choice_labels(tmp_path):
    keys, texts = ["A", "B", "C", "D", "E"], ["shop", "library", "bank", "park", "zoo"]
    row = {"id": "c9b9", "question": "Where do you keep money?", "question_concept": "money",
           "choices": {"label": keys, "text": texts}, "answerKey": "C"}
    features = {"id": STRING, "question": STRING, "question_concept": STRING,
                "choices": datasets.Sequence({"label": STRING, "text": STRING}), "answerKey": STRING}
    dataset = hub_dataset({name: [value] for name, value in row.items()}, features)
    spec = with_hub_columns("commonsenseqa", id="id")
    examples = load_hub_split(spec, "dev", "en", load=FakeHub(dataset))
    # The file is in the original nested layout the hub copy was converted from.
    original = {"id": "c9b9", "answerKey": "C", "question": {
        "stem": row["question"], "choices": [{"label": k, "text": t} for k, t in zip(keys, texts)]}}
    path = tmp_path / "dev_rand_split.jsonl"
    path.write_text(json.dumps(original) + "\n", encoding="utf-8")
    assert examples == read_like_spec(spec, "dev", path)
    assert examples[0].label == 2 and examples[0].choices == tuple(texts)


def test_a_choice_label_out_of_range_is_an_error():
    rows = {"ind": [1], "ctx_a": ["c"], "ctx_b": ["d"], "endings": [["a", "b"]], "label": ["5"]}
    dataset = hub_dataset(rows, {"ind": Value("int64"), "ctx_a": STRING, "ctx_b": STRING, "endings": List(STRING), "label": STRING})
    with pytest.raises(DataError, match=r"row 0: label '5' is out of range for 2 choices"):
        load_hub_split(get_task("hellaswag"), "dev", "en", load=FakeHub(dataset))


# --- span extraction -----------------------------------------------------------------------------

SQUAD_FEATURES = {
    "id": STRING, "title": STRING, "context": STRING, "question": STRING,
    "answers": datasets.Sequence({"text": STRING, "answer_start": Value("int32")}),
}
CONTEXT = "The Eiffel Tower is in Paris. It opened in 1889."


def squad_file(path: Path, qas: list[dict]) -> Path:
    article = {"title": "Eiffel_Tower", "paragraphs": [{"context": CONTEXT, "qas": qas}]}
    document = {"version": "v2.0", "data": [article]}
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_squad_answers_equal_the_squad_json_reader(tmp_path):
    rows = {
        "id": ["q1", "q2"], "title": ["Eiffel_Tower"] * 2, "context": [CONTEXT] * 2,
        "question": ["Where is the tower?", "When did it open?"],
        "answers": [
            {"text": ["Paris"], "answer_start": [23]},
            {"text": ["1889", "in 1889"], "answer_start": [43, 40]},
        ],
    }
    spec = with_hub_columns("squad", title="title")
    hub = FakeHub(hub_dataset(rows, SQUAD_FEATURES))
    examples = load_hub_split(spec, "train", "en", load=hub)
    assert hub.calls == [("rajpurkar/squad", None, "train")]
    qas = [
        {"id": "q1", "question": rows["question"][0], "answers": [{"text": "Paris", "answer_start": 23}]},
        {"id": "q2", "question": rows["question"][1],
         "answers": [{"text": "1889", "answer_start": 43}, {"text": "in 1889", "answer_start": 40}]},
    ]
    assert examples == read_like_spec(spec, "train", squad_file(tmp_path / "train-v1.1.json", qas))
    assert not any(example.is_impossible for example in examples)


def test_squad_v2_empty_answers_are_unanswerable(tmp_path):
    rows = {
        "id": ["q1", "q3"], "title": ["Eiffel_Tower"] * 2, "context": [CONTEXT] * 2,
        "question": ["Where is the tower?", "Who painted the tower?"],
        "answers": [{"text": ["Paris"], "answer_start": [23]}, {"text": [], "answer_start": []}],
    }
    spec = with_hub_columns("squad_v2", title="title")
    examples = load_hub_split(spec, "dev", "en", load=FakeHub(hub_dataset(rows, SQUAD_FEATURES)))
    qas = [
        {"id": "q1", "question": rows["question"][0], "answers": [{"text": "Paris", "answer_start": 23}]},
        {"id": "q3", "question": rows["question"][1], "answers": [], "is_impossible": True,
         "plausible_answers": [{"text": "Paris", "answer_start": 23}]},
    ]
    assert examples == read_like_spec(spec, "dev", squad_file(tmp_path / "dev-v2.0.json", qas))
    assert [(e.is_impossible, len(e.answers)) for e in examples] == [(False, 1), (True, 0)]


def test_an_answer_start_off_its_text_is_an_error():
    rows = {"id": ["q1"], "title": ["t"], "context": [CONTEXT], "question": ["Where?"],
            "answers": [{"text": ["Paris"], "answer_start": [3]}]}
    with pytest.raises(DataError, match=r"rajpurkar/squad \(validation\): row 0: answer_start 3"):
        load_hub_split(get_task("squad"), "dev", "en", load=FakeHub(hub_dataset(rows, SQUAD_FEATURES)))


# --- tagging -------------------------------------------------------------------------------------


def tagging_file(path: Path, sentences: list[list[tuple[str, str]]]) -> Path:
    blocks = ("\n".join(f"{token}\t{tag}" for token, tag in sentence) for sentence in sentences)
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return path


def test_panx_ner_tag_indices_equal_the_xtreme_tagging_reader(tmp_path):
    rows = {
        "tokens": [["Angela", "Merkel", "visited", "Paris"], ["The", "UN", "met"]],
        "ner_tags": [[1, 2, 0, 5], [0, 3, 0]],
        "langs": [["en"] * 4, ["en"] * 3],
    }
    features = {"tokens": List(STRING), "ner_tags": List(ClassLabel(names=PANX_TAGS)), "langs": List(STRING)}
    hub = FakeHub(hub_dataset(rows, features))
    examples = load_hub_split(get_task("panx"), "dev", "en", load=hub)
    assert hub.calls == [("google/xtreme", "PAN-X.en", "validation")]
    # XTREME's PAN-X files prefix tokens with the language; the reader strips it, the hub lacks it.
    sentences = [
        [(f"en:{token}", PANX_TAGS[tag]) for token, tag in zip(tokens, tags)]
        for tokens, tags in zip(rows["tokens"], rows["ner_tags"])
    ]
    from_file = read_like_spec(get_task("panx"), "dev", tagging_file(tmp_path / "dev-en.tsv", sentences))
    assert without_ids(examples) == without_ids(from_file)
    assert examples[0].tags == ("B-PER", "I-PER", "O", "B-LOC")


def test_udpos_pos_tags_and_config_name(tmp_path):
    names = get_task("udpos").labels  # the hub ClassLabel lists the 17 UPOS tags in this order
    tags = ("DET", "NOUN", "VERB", "PUNCT")
    rows = {"tokens": [["Der", "Hund", "bellt", "."]], "pos_tags": [[names.index(tag) for tag in tags]]}
    hub = FakeHub(hub_dataset(rows, {"tokens": List(STRING), "pos_tags": List(ClassLabel(names=names))}))
    examples = load_hub_split(get_task("udpos"), "test", "de", load=hub)
    assert hub.calls == [("google/xtreme", "udpos.German", "test")]
    sentences = [[("Der", "DET"), ("Hund", "NOUN"), ("bellt", "VERB"), (".", "PUNCT")]]
    from_file = read_like_spec(get_task("udpos"), "test", tagging_file(tmp_path / "test-de.tsv", sentences))
    assert without_ids(examples) == without_ids(from_file)


def test_tokens_and_tags_of_different_lengths_are_an_error():
    rows = {"tokens": [["a", "b"]], "ner_tags": [[0]]}
    features = {"tokens": List(STRING), "ner_tags": List(ClassLabel(names=PANX_TAGS))}
    with pytest.raises(DataError, match=r"row 0: 2 tokens but 1 tags"):
        load_hub_split(get_task("panx"), "dev", "de", load=FakeHub(hub_dataset(rows, features)))


# --- retrieval -----------------------------------------------------------------------------------


def test_tatoeba_rows_equal_the_tatoeba_reader(tmp_path):
    sources = ["سلام.", "من گرسنه‌ام.", "باران می‌بارد."]
    targets = ["Hello.", "I am hungry.", "It is raining."]
    # google/xtreme's builder read the files line by line and kept each newline.
    rows = {
        "source_sentence": [f"{s}\n" for s in sources],
        "target_sentence": [f"{t}\n" for t in targets],
        "source_lang": ["pes"] * 3,
        "target_lang": ["eng"] * 3,
    }
    hub = FakeHub(hub_dataset(rows, {name: STRING for name in rows}))
    corpus = load_hub_split(get_task("tatoeba"), "test", "fa", load=hub)
    assert hub.calls == [("google/xtreme", "tatoeba.pes", "validation")]
    (tmp_path / "tatoeba.pes-eng.pes").write_text("\n".join(sources) + "\n", encoding="utf-8")
    (tmp_path / "tatoeba.pes-eng.eng").write_text("\n".join(targets) + "\n", encoding="utf-8")
    assert corpus == read_like_spec(get_task("tatoeba"), "test", tmp_path / "tatoeba.pes-eng.pes")
    assert corpus.gold == (("0", "0"), ("1", "1"), ("2", "2")) and corpus.source["1"] == sources[1]


def test_bucc_gold_pairs_with_their_sentence_ids_equal_the_bucc_reader(tmp_path):
    # google/xtreme's bucc18 builder wrote the source and target sentence *ids* into its
    # source_lang/target_lang columns, one row per gold pair.
    rows = {
        "source_sentence": ["Hallo Welt.", "Guten Morgen."],
        "target_sentence": ["Hello world.", "Good morning."],
        "source_lang": ["de-000001", "de-000007"],
        "target_lang": ["en-000003", "en-000010"],
    }
    spec = with_hub_columns("bucc2018", source_id="source_lang", target_id="target_lang")
    hub = FakeHub(hub_dataset(rows, {name: STRING for name in rows}))
    corpus = load_hub_split(spec, "dev", "de", load=hub)
    assert hub.calls == [("google/xtreme", "bucc18.de", "validation")]
    prefix = tmp_path / "de-en.dev"
    sides = (("de", "source_lang", "source_sentence"), ("en", "target_lang", "target_sentence"))
    for suffix, ids, sentences in sides:
        lines = (f"{sid}\t{sentence}\n" for sid, sentence in zip(rows[ids], rows[sentences]))
        prefix.with_name(f"de-en.dev.{suffix}").write_text("".join(lines), encoding="utf-8")
    gold = (f"{s}\t{t}\n" for s, t in zip(rows["source_lang"], rows["target_lang"]))
    prefix.with_name("de-en.dev.gold").write_text("".join(gold), encoding="utf-8")
    assert corpus == read_like_spec(spec, "dev", prefix.with_name("de-en.dev.de"))
    assert corpus.gold == (("de-000001", "en-000003"), ("de-000007", "en-000010"))


# --- spec and loading errors -----------------------------------------------------------------------


def test_a_mapped_column_missing_from_the_dataset_is_a_config_error():
    # google/xtreme's bucc18 configs have no source_id column (the shipped spec maps one).
    spec = with_hub_columns("bucc2018", source_id="source_id")
    rows = {"source_sentence": ["Hallo."], "target_sentence": ["Hello."]}
    rows |= {"source_lang": ["de"], "target_lang": ["en"]}
    hub = FakeHub(hub_dataset(rows, {name: STRING for name in rows}))
    missing = r"column 'source_id' \(for 'source_id'\) is not in google/xtreme \(bucc18.de"
    with pytest.raises(ConfigError, match=missing):
        load_hub_split(spec, "dev", "de", load=hub)


def test_a_field_the_kind_does_not_take_is_a_config_error():
    spec = with_hub_columns("pawsx", answers="label")
    with pytest.raises(ConfigError, match=r"pawsx.hub.columns.*no field 'answers'"):
        validate_hub_columns(spec)


@pytest.mark.parametrize(
    ("task", "split", "lang", "message"),
    [
        ("xnli", "train", "en", r"xnli.hub.splits.*no hub split for 'train'"),
        ("nli_standin", "train", "en", r"nli_standin.hub.*names no Hugging Face dataset"),
        ("pawsx", "dev", "xx", r"pawsx.languages.*no language 'xx'"),
    ],
)
def test_what_the_spec_cannot_load_is_a_config_error(task, split, lang, message):
    def must_not_load(*args, **kwargs):
        raise AssertionError("loaded although the spec cannot name the split")

    with pytest.raises(ConfigError, match=message):
        load_hub_split(get_task(task), split, lang, load=must_not_load)


def test_a_loader_failure_becomes_a_one_line_error_naming_the_dataset():
    def unknown_split(path, name=None, *, split):
        raise ValueError(f'Unknown split "{split}".\nShould be one of [\'test\'].')

    with pytest.raises(ConfigError) as caught:
        load_hub_split(get_task("udpos"), "dev", "th", load=unknown_split)
    message = str(caught.value)
    assert "\n" not in message
    assert "google/xtreme (udpos.Thai, validation)" in message and "Unknown split" in message


@pytest.mark.timeout(60)
def test_offline_the_real_loader_fails_quickly_with_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # Both libraries read HF_HUB_OFFLINE once, when imported (before this test ran).
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    # Empty caches, so nothing downloaded earlier can answer.
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "datasets")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        load_hub_split(get_task("pawsx"), "dev", "en")
    assert time.monotonic() - started < 30
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("config key 'pawsx.hub': cannot load google/xtreme (PAWS-X.en, validation)")
