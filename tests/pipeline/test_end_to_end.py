"""All nine XTREME targets through the pipeline with a tiny encoder, then a rerun that trains nothing."""

from __future__ import annotations

import sqlite3

import pytest

from pipeline_helpers import TRAIN, tiny_config
from xstilts.cli import main
from xstilts.config import load_config
from xstilts.metrics.xtreme import XTREME_TASK2LANGS
from xstilts.pipeline.execute import run_trial

SMALL = {"max_length": 48, "train": TRAIN}
# Each target on a few dozen examples; the pack has no SQuAD, so TyDiQA-GoldP English trains QA.
NINE = {
    "pawsx": {**SMALL, "train_split": "pawsx:dev[0:32]", "dev_split": "dev[32:48]", "eval_split": "dev[100:116]", "languages": ["en", "de", "zh"], "oracle_dev_examples": 8},
    "xnli": {**SMALL, "train_split": "nli_standin:train[0:32]", "eval_split": "dev[100:116]", "languages": ["en", "ar"]},
    "panx": {**SMALL, "train_split": "panx:train[0:32]", "dev_split": "dev[0:16]", "eval_split": "dev", "max_eval_examples": 16, "languages": ["en", "de", "ja"]},
    "udpos": {**SMALL, "train_split": "udpos:train[0:32]", "eval_split": "test", "max_eval_examples": 16, "languages": ["en", "fr"]},
    "xquad": {**SMALL, "max_length": 128, "doc_stride": 32, "train_split": "tydiqa:train[0:16]", "eval_split": "test", "max_eval_examples": 8, "languages": ["en", "es"]},
    "mlqa": {**SMALL, "max_length": 128, "doc_stride": 32, "train_split": "tydiqa:train[0:16]", "eval_split": "dev", "max_eval_examples": 8, "languages": ["en", "de"]},
    "tydiqa": {**SMALL, "max_length": 128, "doc_stride": 32, "train_split": "tydiqa:train[0:16]", "eval_split": "train[3600:3610]"},
    "bucc2018": {"eval_split": "dev", "max_eval_examples": 40, "max_length": 32},
    "tatoeba": {"eval_split": "test", "max_eval_examples": 20, "languages": ["de", "ja"], "max_length": 32},
}


@pytest.mark.slow
def test_nine_targets_end_to_end_then_rerun_trains_zero_steps(tmp_path, data_dir, tiny_encoder):
    intermediate = {"task": "sst2", "train_split": "train[0:32]", "dev_split": "dev[0:16]", "max_length": 32, "train": {**TRAIN, "eval_every": 2}}
    path = tiny_config(tmp_path, data_dir, tiny_encoder, NINE, intermediate)
    config = load_config(path)

    first = run_trial(config, trial_id="t1")
    assert first.status == "done", first.error
    scored = {row.target_task for row in first.scores}
    assert scored == set(XTREME_TASK2LANGS)
    _stored_scores_match_the_written_files(first, tmp_path / "work")
    pawsx_langs = {r.language for r in first.scores if r.target_task == "pawsx" and r.selection == "english_dev"}
    assert pawsx_langs == {"en", "de", "zh"}
    assert {r.selection for r in first.scores} == {"english_dev", "target_dev", "trivial"}
    # The trivial predictor is scored for every trained target's languages, never for retrieval.
    trivial = {(r.target_task, r.language) for r in first.scores if r.selection == "trivial"}
    assert trivial == {(r.target_task, r.language) for r in first.scores if r.selection == "english_dev"
                       and r.target_task not in ("tatoeba", "bucc2018")}
    assert all(r.value == 0.0 for r in first.scores if r.selection == "trivial" and r.target_task in ("xquad", "mlqa"))
    computed = [p for p in first.phases if p.computed]
    assert sum(p.meta.get("steps_trained_this_call", 0) for p in computed) > 0
    # XTREME-layout prediction files exist for every zero-shot language.
    zero_shot = [p for p in first.phases if p.phase == "zero_shot"]
    assert len(zero_shot) == 7 and len([p for p in first.phases if p.phase == "retrieval"]) == 2
    # Selections that chose the same step share one prediction pass, and their scores agree.
    pawsx_target = next(p for p in first.phases if p.phase == "target" and p.task == "pawsx")
    best_steps = {best["step"] for best in pawsx_target.meta["best"].values()}
    pawsx_zero_shot = next(p for p in zero_shot if p.task == "pawsx")
    assert pawsx_zero_shot.meta["distinct_weights_evaluated"] == len(best_steps)
    folder = tmp_path / "work" / "zero_shot" / pawsx_zero_shot.key
    oracle_files = sorted((folder / "target_dev").rglob("*.tsv"))
    assert len(oracle_files) == 3  # en, de, zh
    same_files = all((folder / "english_dev" / f.relative_to(folder / "target_dev")).read_bytes() == f.read_bytes()
                     for f in oracle_files)
    assert same_files == (len(best_steps) == 1)

    second = run_trial(config, trial_id="t1")
    assert not any(p.computed for p in second.phases)  # every phase reused
    assert sum(p.meta.get("steps_trained_this_call", 0) for p in second.phases if p.computed) == 0
    assert sorted((r.target_task, r.language, r.selection, r.value) for r in second.scores) == \
        sorted((r.target_task, r.language, r.selection, r.value) for r in first.scores)


def test_run_cli_stores_results_and_dry_run_reports_done(tmp_path, data_dir, tiny_encoder, capsys):
    targets = {"pawsx": NINE["pawsx"], "tatoeba": NINE["tatoeba"]}
    path = tiny_config(tmp_path, data_dir, tiny_encoder, targets)
    assert main(["run", str(path), "--dry-run"]) == 0
    assert "to run" in capsys.readouterr().out
    assert main(["run", str(path)]) == 0
    out = capsys.readouterr().out
    assert "pawsx" in out and "XTREME-style" in out
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        statuses = db.execute("select status from trials").fetchall()
        assert statuses == [("done",)]
    assert main(["run", str(path), "--dry-run"]) == 0
    assert "done" in capsys.readouterr().out


def _stored_scores_match_the_written_files(result, work):
    """Every stored zero-shot score is what XTREME's scorer gives on the files the phase wrote."""
    from xstilts.metrics.layout import score_language
    from xstilts.pipeline.scoring import primary

    checked = 0
    for phase in (p for p in result.phases if p.phase == "zero_shot"):
        folder = work / "zero_shot" / phase.key
        for row in (r for r in result.scores if r.target_task == phase.task):
            # Final weights (no dev set) are reported as English-dev-selected; a borrowed model has no
            # oracle selection of its own, so its oracle view is its English-dev (or final) one.
            selection = next(s for s in (row.selection, "english_dev", "final") if (folder / s).is_dir())
            values = score_language(folder / selection, folder / "gold", row.target_task, row.language)
            assert primary(values) == pytest.approx(row.value, abs=1e-9), (row, values)
            checked += 1
    assert checked >= 7 * 2
