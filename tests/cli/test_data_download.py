"""`xstilts data download` on the hub mirror (offline): the data dir layout with MANIFEST.tsv,
resumable (files whose manifest row still matches are kept), and `--for-config`."""

from __future__ import annotations

import csv
from pathlib import Path

from hub_mirror import hub_mirror_dir_fixture, hub_mirror_fixture  # noqa: F401 (fixtures)
from xstilts.cli import main
from xstilts.data.download import tasks_for_config

REPO = Path(__file__).resolve().parents[2]
FETCH = ["data", "download", "--tasks", "pawsx,xnli", "--tasks", "sst2", "--splits", "dev", "--languages", "en,de"]
WRITTEN = ["intermediate/sst2/dev.tsv", "target/pawsx/dev-de.tsv", "target/pawsx/dev-en.tsv",
           "target/xnli/dev-de.tsv", "target/xnli/dev-en.tsv"]


def manifest(out: Path) -> dict[str, dict]:
    with open(out / "MANIFEST.tsv", encoding="utf-8", newline="") as handle:
        return {row["path"]: row for row in csv.DictReader(handle, delimiter="\t")}


def test_download_writes_the_layout_and_resumes(hub_mirror, tmp_path, capsys):
    out = tmp_path / "data"
    assert main([*FETCH, "--out", str(out)]) == 0
    rows = manifest(out)
    assert sorted(rows) == WRITTEN
    assert rows["target/pawsx/dev-de.tsv"]["rows"] == "120"
    assert (out / "target/pawsx/dev-de.tsv").read_text(encoding="utf-8").count("\n") == 120
    assert "wrote target/xnli/dev-de.tsv: 120 rows from facebook/xnli (de, validation)" in capsys.readouterr().out

    stamps = {path: (out / path).stat().st_mtime_ns for path in WRITTEN}
    (out / "target/xnli/dev-en.tsv").write_text("damaged\n", encoding="utf-8")
    assert main([*FETCH, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.count("kept ") == 4 and "wrote target/xnli/dev-en.tsv" in text
    assert {path for path in WRITTEN if (out / path).stat().st_mtime_ns != stamps[path]} == {"target/xnli/dev-en.tsv"}
    assert manifest(out) == rows  # the rewritten file is the same content again


def test_bad_requests_are_one_line_errors(hub_mirror, tmp_path, capsys):
    out = str(tmp_path / "data")
    cases = [
        (["data", "download", "--out", out], "--tasks"),
        (["data", "download", "--tasks", "nosuch", "--out", out], "unknown task 'nosuch'"),
        (["data", "download", "--tasks", "nli_standin", "--out", out], "names no Hugging Face dataset"),
        (["data", "download", "--tasks", "pawsx", "--languages", "ja", "--out", out],
         "cannot load google/xtreme (PAWS-X.ja) from the hub"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err


def test_a_split_the_hub_lacks_is_reported_and_skipped(hub_mirror, tmp_path, capsys):
    # The mirror's PAWS-X.de has only a validation split (the hub's also has train and test).
    assert main(["data", "download", "--tasks", "pawsx", "--languages", "de", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "absent target/pawsx/test-de.tsv" in out and "wrote target/pawsx/dev-de.tsv" in out
    assert sorted(manifest(tmp_path)) == ["target/pawsx/dev-de.tsv"]


def test_dry_run_lists_sources_and_loads_nothing(tmp_path, capsys):
    argv = ["data", "download", "--for-config", str(REPO / "configs" / "paper.yaml"), "--out", str(tmp_path), "--dry-run"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "fetch target/udpos/xtreme/test-de.tsv <- google/xtreme (udpos.German, test)" in lines
    assert "fetch intermediate/mnli/train.tsv <- nyu-mll/glue (mnli, train)" in lines
    assert lines[-1] == f"{len(lines) - 1} of {len(lines) - 1} splits to fetch into {tmp_path}"
    assert not any(tmp_path.iterdir())


def test_for_config_names_every_task_the_paper_config_reads():
    assert set(tasks_for_config(REPO / "configs" / "paper.yaml")) == {
        "mnli", "pawsx", "xnli", "udpos", "panx", "xquad", "mlqa", "tydiqa", "bucc2018", "tatoeba", "squad"}


def test_for_config_fetches_into_the_configs_data_dir(hub_mirror, tmp_path, capsys):
    config = tmp_path / "run.yaml"
    config.write_text("data_dir: data\ndata_source: files\nintermediate: {task: paraphrase_standin}\n"
                      "targets:\n  pawsx: {train_split: 'pawsx:dev[0:8]', eval_split: 'dev[8:16]', languages: [de]}\n",
                      encoding="utf-8")
    assert main(["data", "download", "--for-config", str(config), "--splits", "dev", "--languages", "en,de"]) == 0
    assert sorted(manifest(tmp_path / "data")) == ["target/pawsx/dev-de.tsv", "target/pawsx/dev-en.tsv"]
    assert "not on the hub, bring their files: paraphrase_standin" in capsys.readouterr().out
