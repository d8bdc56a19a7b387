"""Translated dev sets: lines trained on in English are never evaluated in any language."""

from __future__ import annotations

from pipeline_helpers import TRAIN, tiny_config
from xstilts.config import load_config
from xstilts.data.splits import SplitRef
from xstilts.pipeline.execute import run_trial
from xstilts.pipeline.graph import TrialGraph
from xstilts.pipeline.reads import load_examples, resolve_read


def _config(tmp_path, data_dir, encoder):
    # The paraphrase stand-in trains on English PAWS-X dev lines 0-39; PAWS-X trains on 40-79;
    # evaluation asks for lines 0-119 in every language.
    intermediate = {"task": "paraphrase_standin", "train_split": "train[0:40]", "max_length": 32, "train": TRAIN}
    targets = {"pawsx": {"train_split": "pawsx:dev[40:80]", "eval_split": "dev[0:120]", "languages": ["en", "de", "fr"],
                         "max_length": 48, "train": TRAIN}}
    return load_config(tiny_config(tmp_path, data_dir, encoder, targets, intermediate))


def test_guard_excludes_trained_lines_in_every_language(tmp_path, data_dir, tiny_encoder):
    graph = TrialGraph.build(_config(tmp_path, data_dir, tiny_encoder))
    assert graph.trained.ranges == {"pawsx-dev": [(0, 40), (40, 80)]}
    trained = resolve_read(SplitRef.parse("dev[0:80]", "pawsx"), "en", data_dir, "test")
    english_train_sentences = {e.text_a for e in load_examples(trained, data_dir)}
    evaluated = graph.node("zero_shot", "pawsx").evaluates
    assert [read.language for read in evaluated] == ["en", "de", "fr"]
    for read in evaluated:
        examples = load_examples(read, data_dir)
        assert read.excluded == 80 and len(examples) == 40
        ids = [e.id for e in examples]
        assert all(int(i.rsplit(":", 1)[-1]) > 80 for i in ids), ids[:3]  # ids carry 1-based line numbers
    assert len(english_train_sentences) > 70
    assert not english_train_sentences & {e.text_a for e in load_examples(evaluated[0], data_dir)}


def test_pipeline_reports_excluded_lines(tmp_path, data_dir, tiny_encoder):
    result = run_trial(_config(tmp_path, data_dir, tiny_encoder), trial_id="leak")
    assert result.status == "done", result.error
    zero_shot = next(p for p in result.phases if p.phase == "zero_shot")
    assert zero_shot.meta["excluded_trained_lines"] == {"en": 80, "de": 80, "fr": 80}
    assert zero_shot.meta["eval_examples"] == {"en": 40, "de": 40, "fr": 40}
