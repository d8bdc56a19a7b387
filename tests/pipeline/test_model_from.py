"""`targets.<task>.model_from`: MLQA evaluated with the model trained for XQuAD, as XTREME does."""

from __future__ import annotations

import pytest

from pipeline_helpers import TRAIN, tiny_config
from xstilts.config import load_config
from xstilts.errors import ConfigError
from xstilts.pipeline.execute import run_trial
from xstilts.pipeline.graph import plan_trial

QA = {"max_length": 128, "doc_stride": 32, "train": TRAIN}
TARGETS = {
    "xquad": {**QA, "train_split": "tydiqa:train[0:16]", "dev_split": "tydiqa:train[3600:3608]", "eval_split": "test",
              "max_eval_examples": 6, "languages": ["en", "es"], "oracle_dev_examples": 4},
    "mlqa": {**QA, "eval_split": "dev", "max_eval_examples": 6, "languages": ["en", "de"], "model_from": "xquad"},
}


@pytest.mark.slow
def test_mlqa_is_scored_with_the_xquad_model_and_trains_nothing(tmp_path, data_dir, tiny_encoder):
    config = load_config(tiny_config(tmp_path, data_dir, tiny_encoder, TARGETS))
    assert [p.task for p in plan_trial(config) if p.phase == "target"] == ["xquad"]
    result = run_trial(config, trial_id="t")
    assert result.status == "done", result.error
    assert [p.task for p in result.phases if p.phase == "target"] == ["xquad"]
    assert sorted(p.task for p in result.phases if p.phase == "zero_shot") == ["mlqa", "xquad"]
    mlqa = {(r.language, r.selection): r.value for r in result.scores if r.target_task == "mlqa"}
    assert set(mlqa) == {("en", "english_dev"), ("de", "english_dev"), ("en", "target_dev"), ("de", "target_dev"),
                         ("en", "trivial"), ("de", "trivial")}
    assert mlqa[("en", "trivial")] == 0.0  # the empty answer
    # XQuAD's oracle picked on XQuAD languages: MLQA's oracle view falls back to English-dev weights.
    assert all(mlqa[(lang, "target_dev")] == mlqa[(lang, "english_dev")] for lang in ("en", "de"))


@pytest.mark.parametrize("model_from, message", [
    ("mlqa", "must be another target"),
    ("tydiqa", "must be another target"),
    ("pawsx", "cannot use a pair_classification model"),
])
def test_model_from_must_name_another_training_target_of_the_same_kind(tmp_path, data_dir, tiny_encoder, model_from, message):
    targets = {**TARGETS, "mlqa": {**TARGETS["mlqa"], "model_from": model_from},
               "pawsx": {"train_split": "pawsx:dev[0:8]", "eval_split": "dev[100:104]"}}
    with pytest.raises(ConfigError, match=message) as err:
        load_config(tiny_config(tmp_path, data_dir, tiny_encoder, targets))
    assert err.value.key == "targets.mlqa.model_from"
