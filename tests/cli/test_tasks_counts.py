"""`xstilts tasks` counts each data file once: later calls read counts from the cache file,
keyed by path, size and modification time, so a changed file is counted again."""

from __future__ import annotations

import json
import os
import shutil

import pytest

import xstilts.data.readers as readers
from xstilts.cli import main
from xstilts.data.counts import CACHE_FILE, CountCache, file_key


@pytest.fixture()
def small_pack(tmp_path, data_dir, monkeypatch):
    """A data dir with 5 PAWS-X dev lines per language and the BUCC bitext (files and siblings)."""
    root = tmp_path / "data"
    (root / "target" / "pawsx").mkdir(parents=True)
    for lang in ("en", "de"):
        lines = (data_dir / "target" / "pawsx" / f"dev-{lang}.tsv").read_text(encoding="utf-8").splitlines()[:5]
        (root / "target" / "pawsx" / f"dev-{lang}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copytree(data_dir / "target" / "bucc2018", root / "target" / "bucc2018")
    for path in (root / "target" / "bucc2018").iterdir():
        path.chmod(0o644)  # the pack is read-only; the copies are edited below
    monkeypatch.setenv("XSTILTS_CACHE_DIR", str(tmp_path / "cache"))
    return root


def tasks_json(capsys, root, recounted: str = "") -> dict:
    """The target counts; ``recounted``: the tasks the call had to count again (space-separated)."""
    assert main(["tasks", "--data-dir", str(root), "--json", "--role", "target"]) == 0
    out, err = capsys.readouterr()
    assert sorted(line.split()[1] for line in err.splitlines() if line.startswith("counting ")) == recounted.split()
    return {name: info["counts"] for name, info in json.loads(out).items() if info["counts"]}


def test_a_second_call_reads_no_data_file_and_a_changed_file_is_recounted(small_pack, capsys, monkeypatch, tmp_path):
    first = tasks_json(capsys, small_pack, recounted="bucc2018 pawsx")  # a first call says what it reads
    assert first["pawsx"] == {"dev": {"en": 5, "de": 5}}
    assert first["bucc2018"]["dev"]["zh"] > 0 and (tmp_path / "cache" / CACHE_FILE).is_file()

    real_read = readers.read
    monkeypatch.setattr(readers, "read", lambda *a, **k: pytest.fail("read a file the cache knows"))
    assert tasks_json(capsys, small_pack) == first

    monkeypatch.setattr(readers, "read", real_read)
    dev_de = small_pack / "target" / "pawsx" / "dev-de.tsv"
    dev_de.write_text("\n".join(dev_de.read_text(encoding="utf-8").splitlines()[:3]) + "\n", encoding="utf-8")
    gold = small_pack / "target" / "bucc2018" / "zh-en.dev.gold"
    gold.write_text("\n".join(gold.read_text(encoding="utf-8").splitlines()[:10]) + "\n", encoding="utf-8")
    again = tasks_json(capsys, small_pack, recounted="bucc2018 pawsx")  # bucc: a sibling of its first file changed
    assert again["pawsx"] == {"dev": {"en": 5, "de": 3}}


def test_the_cache_survives_damage_and_drops_counts_of_changed_files(tmp_path):
    data = tmp_path / "a.txt"
    data.write_text("x\n")
    cache = CountCache(tmp_path)
    assert cache.count(file_key(data, "fmt", {}), lambda: 1) == 1
    cache.save()
    assert CountCache(tmp_path).count(file_key(data, "fmt", {}), lambda: pytest.fail("cached")) == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left behind

    old_key = file_key(data, "fmt", {})
    data.write_text("x\ny\n")
    os.utime(data, ns=(1, 1))
    cache = CountCache(tmp_path)
    assert cache.count(file_key(data, "fmt", {}), lambda: 2) == 2
    cache.save()
    assert old_key not in json.loads((tmp_path / CACHE_FILE).read_text())["counts"]

    (tmp_path / CACHE_FILE).write_text("{not json")
    assert CountCache(tmp_path).count(file_key(data, "fmt", {}), lambda: 3) == 3  # damaged: counted again


def test_tasks_takes_the_data_dir_of_a_run_config_relative_to_the_config(small_pack, tmp_path, capsys, monkeypatch):
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "run.yaml").write_text("data_dir: ../data\ntargets: {pawsx: {}}\n")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # data_dir is relative to the config, not to here
    monkeypatch.delenv("XSTILTS_DATA_DIR", raising=False)
    assert main(["tasks", "--config", str(configs / "run.yaml"), "--json", "--role", "target"]) == 0
    assert json.loads(capsys.readouterr().out)["pawsx"]["counts"] == {"dev": {"en": 5, "de": 5}}
    assert main(["tasks", "--data-dir", str(tmp_path / "absent")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--data-dir" in err and "absent" in err
