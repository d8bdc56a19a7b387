"""The overlap guard by content: SQuAD v1.1 dev holds every XQuAD paragraph and question."""

from __future__ import annotations

import pytest

from pipeline_helpers import TRAIN, tiny_config
from xstilts.config import load_config
from xstilts.errors import ConfigError
from xstilts.pipeline.graph import TrialGraph
from xstilts.pipeline.overlap import check_no_overlap

XQUAD = {"xquad": {"train_split": "tydiqa:train[0:16]", "eval_split": "test", "languages": ["en", "de"],
                   "max_eval_examples": 40, "max_length": 128, "doc_stride": 32, "train": TRAIN}}


def _graph(tmp_path, data_dir, encoder, intermediate):
    return TrialGraph.build(load_config(tiny_config(tmp_path, data_dir, encoder, XQUAD, intermediate)))


def test_squad_dev_as_intermediate_data_is_refused_when_xquad_is_evaluated(tmp_path, data_dir, tiny_encoder):
    graph = _graph(tmp_path, data_dir, tiny_encoder, {"task": "squad", "train_split": "dev[0:300]", "max_length": 128,
                                                      "train": TRAIN})
    with pytest.raises(ConfigError) as err:
        check_no_overlap(graph.nodes, graph.data_dir)
    assert err.value.key == "intermediate.train_split"
    count = int(str(err.value).split("': ")[1].split(" examples")[0])
    assert 0 < count <= 40 and "xquad:test[0:] (en)" in str(err.value)


def test_other_data_passes_and_the_guard_compared_something(tmp_path, data_dir, tiny_encoder):
    graph = _graph(tmp_path, data_dir, tiny_encoder, {"task": "sst2", "train_split": "train[0:64]", "max_length": 32,
                                                      "train": TRAIN})
    # sst2 train and tydiqa train against xquad en and de: 2 x 2 pairs of different tasks.
    assert check_no_overlap(graph.nodes, graph.data_dir) == 4


def _squad_questions_on_xquad_paragraphs(data_dir, stop: int) -> int:
    """Counted independently of the guard: SQuAD dev questions (the first `stop`) whose paragraph
    XQuAD translates."""
    import json

    xquad = json.loads((data_dir / "target/xquad/xquad.en.json").read_text(encoding="utf-8"))["data"]
    contexts = {" ".join(p["context"].split()) for article in xquad for p in article["paragraphs"]}
    squad = json.loads((data_dir / "intermediate/squad/dev-v1.1.json").read_text(encoding="utf-8"))["data"]
    questions = [" ".join(p["context"].split()) for article in squad for p in article["paragraphs"] for _ in p["qas"]]
    return sum(context in contexts for context in questions[:stop])


def test_overlap_drop_removes_exactly_the_questions_on_xquad_paragraphs(tmp_path, data_dir, tiny_encoder):
    intermediate = {"task": "squad", "train_split": "dev[0:810]", "max_length": 128, "train": TRAIN}
    text = tiny_config(tmp_path, data_dir, tiny_encoder, {"xquad": {**XQUAD["xquad"], "languages": ["en"],
                                                                     "max_eval_examples": None}}, intermediate)
    refused = TrialGraph.build(load_config(text))
    dropping = TrialGraph.build(load_config(text, overrides=["overlap=drop"]))
    read = dropping.node("intermediate").trains_on[0]
    expected = _squad_questions_on_xquad_paragraphs(data_dir, 810)
    assert expected > 0 and read.dropped == expected and len(read.lines) == 810 - expected
    assert check_no_overlap(dropping.nodes, dropping.data_dir) > 0  # compared, and nothing shared is left
    # What the phase trains on changed, so its content key did too.
    assert dropping.node("intermediate").key != refused.node("intermediate").key
