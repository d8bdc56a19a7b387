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
