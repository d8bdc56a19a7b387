"""A tiny-encoder trial reading its data from the hub (the mirror, through `load_dataset`) has the
same content keys, reads and scores as the same trial reading the pack's files."""

from __future__ import annotations

import pytest
import yaml

from hub_mirror import hub_mirror_dir_fixture, hub_mirror_fixture  # noqa: F401 (fixtures)
from pipeline_helpers import TRAIN, tiny_config
from tiny_models import tiny_encoder_dir
from xstilts.config import load_config
from xstilts.pipeline.execute import run_trial
from xstilts.pipeline.graph import TrialGraph

# Trains on English PAWS-X dev lines 0-31, evaluates lines 100-115 in en and de.
TARGETS = {"pawsx": {"train_split": "pawsx:dev[0:32]", "eval_split": "dev[100:116]", "languages": ["en", "de"],
                     "max_length": 48, "train": TRAIN}}


def _config(tmp_path, data_dir, encoder, source: str):
    folder = tmp_path / source
    folder.mkdir()
    path = tiny_config(folder, data_dir, encoder, TARGETS)
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) | {"data_source": source}
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return load_config(path)


@pytest.mark.slow
def test_a_trial_from_the_hub_equals_the_trial_from_files(hub_mirror, data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("XSTILTS_CACHE_DIR", str(tmp_path / "cache"))
    encoder = tiny_encoder_dir(tmp_path / "encoders")
    no_files = tmp_path / "empty"
    no_files.mkdir()
    from_files = _config(tmp_path, data_dir, encoder, "files")
    from_hub = _config(tmp_path, no_files, encoder, "hub")
    files_graph, hub_graph = TrialGraph.build(from_files), TrialGraph.build(from_hub)
    keys = {(n.phase, n.task): n.key for n in files_graph.nodes}
    assert {(n.phase, n.task): n.key for n in hub_graph.nodes} == keys
    hub_reads = [read for node in hub_graph.nodes for read in node.trains_on + node.evaluates]
    assert {read.origin for read in hub_reads} == {"hub"} and len(hub_reads) == 3

    first = run_trial(from_files, trial_id="files", graph=files_graph)
    second = run_trial(from_hub, trial_id="hub", graph=hub_graph)
    assert first.status == second.status == "done", (first.error, second.error)
    assert all(phase.computed for phase in second.phases)  # its own work dir: trained again
    scores = {(r.language, r.selection): r.value for r in first.scores}
    assert {(r.language, r.selection): r.value for r in second.scores} == scores and len(scores) >= 2
