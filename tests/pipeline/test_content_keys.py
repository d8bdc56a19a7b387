"""Content keys see what changes a phase's output: data content, task specs, model files.

A copied data dir reuses every phase; one changed label recomputes exactly the phases that
read its line; an edited spec or a changed model folder recomputes what depends on them.
"""

from __future__ import annotations

import shutil

import pytest
import yaml

from pipeline_helpers import TRAIN, tiny_config
from xstilts.config import load_config
from xstilts.pipeline.execute import run_trial
from xstilts.pipeline.graph import TrialGraph
from xstilts.tasks.registry import EXTRA_SPECS_ENV, SPEC_DIR
from tiny_models import tiny_encoder_dir

TARGETS = {
    # Trains on English dev lines 0-31, evaluates lines 100-115 in en and de.
    "pawsx": {"train_split": "pawsx:dev[0:32]", "eval_split": "dev[100:116]", "languages": ["en", "de"],
              "max_length": 48, "train": TRAIN},
    "xnli": {"train_split": "xnli:dev[0:32]", "eval_split": "dev[100:116]", "languages": ["en", "de"],
             "max_length": 48, "train": TRAIN},
}
COPIED = ["target/pawsx/dev-en.tsv", "target/pawsx/dev-de.tsv", "target/xnli/dev-en.tsv", "target/xnli/dev-de.tsv"]


def _copy_pack(data_dir, dest):
    for name in COPIED:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(data_dir / name, dest / name)
    return dest


def _flip_label(path, line: int) -> None:
    """Flip the 0/1 label of one 0-based line of a PAWS-X TSV."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    *text, label = lines[line].rstrip("\n").split("\t")
    lines[line] = "\t".join([*text, "1" if label == "0" else "0"]) + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def _keys(config) -> dict[tuple[str, str], str]:
    return {(n.phase, n.task): n.key for n in TrialGraph.build(config).nodes}


def _changed(before: dict, after: dict) -> set:
    assert before.keys() == after.keys()
    return {node for node in before if before[node] != after[node]}


def test_a_copied_pack_reuses_and_one_label_recomputes_exactly_its_readers(tmp_path, data_dir, tiny_encoder):
    copy = _copy_pack(data_dir, tmp_path / "copy")
    original = load_config(tiny_config(tmp_path, data_dir, tiny_encoder, TARGETS))
    copied = load_config(tiny_config(tmp_path, copy, tiny_encoder, TARGETS))
    base = _keys(original)
    assert len(base) == 5 and _keys(copied) == base  # same content, other path: same keys

    _flip_label(copy / "target/pawsx/dev-de.tsv", 105)  # an evaluated German line
    assert _changed(base, _keys(copied)) == {("zero_shot", "pawsx")}
    _flip_label(copy / "target/pawsx/dev-en.tsv", 5)  # an English line the target trains on
    assert _changed(base, _keys(copied)) == {("target", "pawsx"), ("zero_shot", "pawsx")}
    _flip_label(copy / "target/pawsx/dev-en.tsv", 500)  # a line no phase reads
    assert _changed(base, _keys(copied)) == {("target", "pawsx"), ("zero_shot", "pawsx")}


@pytest.mark.slow
def test_a_run_on_edited_data_recomputes_only_the_changed_phase(tmp_path, data_dir, tiny_encoder):
    copy = _copy_pack(data_dir, tmp_path / "copy")
    targets = {"pawsx": TARGETS["pawsx"]}
    first = run_trial(load_config(tiny_config(tmp_path, copy, tiny_encoder, targets)), trial_id="a")
    assert first.status == "done", first.error
    _flip_label(copy / "target/pawsx/dev-de.tsv", 105)
    second = run_trial(load_config(tiny_config(tmp_path, copy, tiny_encoder, targets)), trial_id="b")
    computed = {p.phase: p.computed for p in second.phases}
    assert computed == {"target": False, "zero_shot": True}
    score = {(r.language, r.selection): r.value for r in first.scores}
    again = {(r.language, r.selection): r.value for r in second.scores}
    assert again[("en", "english_dev")] == score[("en", "english_dev")]  # English gold untouched


def test_an_edited_spec_recomputes_the_phases_that_use_it(tmp_path, data_dir, tiny_encoder, monkeypatch):
    specs = tmp_path / "specs"
    specs.mkdir()
    spec = yaml.safe_load((SPEC_DIR / "sst2.yaml").read_text(encoding="utf-8"))
    spec["name"] = "mysst2"
    (specs / "mysst2.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    monkeypatch.setenv(EXTRA_SPECS_ENV, str(specs))
    intermediate = {"task": "mysst2", "train_split": "train[0:32]", "max_length": 32, "train": TRAIN}
    config = load_config(tiny_config(tmp_path, data_dir, tiny_encoder, TARGETS, intermediate))
    before = _keys(config)
    spec["labels"] = list(reversed(spec["labels"]))  # the label order fixes the head's label ids
    (specs / "mysst2.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    # The intermediate phase reads the spec; every target phase starts from its encoder.
    assert _changed(before, _keys(config)) == set(before) - {("base", "")}


def test_a_changed_model_folder_recomputes_everything(tmp_path, data_dir):
    model = tmp_path / "model"
    shutil.copytree(tiny_encoder_dir(tmp_path / "a", seed=0), model)
    config = load_config(tiny_config(tmp_path, data_dir, model, TARGETS))
    before = _keys(config)
    shutil.rmtree(model)
    shutil.copytree(tiny_encoder_dir(tmp_path / "b", seed=1), model)  # retrained in place
    assert _changed(before, _keys(config)) == set(before)


def test_a_second_build_reads_no_data_file_and_an_edit_is_seen(tmp_path, data_dir, tiny_encoder, monkeypatch):
    """Resolved reads are kept on disk (graph-reads.json), keyed by the files' size and mtime:
    a later process (a sweep worker, the next `sweep run`) builds the same graph without reading
    the data, and an edited file is read again."""
    from xstilts.pipeline import reads

    copy = _copy_pack(data_dir, tmp_path / "copy")
    config = load_config(tiny_config(tmp_path, copy, tiny_encoder, TARGETS))
    first = _keys(config)
    reads._resolved.cache_clear()  # as a new process would start
    calls = []
    original = reads._resolved.__wrapped__
    monkeypatch.setattr(reads, "_resolved", lambda *args: calls.append(args[0]) or original(*args))
    assert _keys(config) == first and calls == []
    _flip_label(copy / "target/pawsx/dev-de.tsv", 105)
    assert _changed(first, _keys(config)) == {("zero_shot", "pawsx")}
    assert {str(ref) for ref in calls} == {"pawsx:dev[100:116]"}
