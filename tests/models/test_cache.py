"""Checkpoint folders appear atomically: complete or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from xstilts.models.cache import atomic_directory, build_once, default_cache_dir


def test_failed_build_leaves_nothing_behind(tmp_path):
    def broken(folder: Path) -> None:
        (folder / "config.json").write_text("{}")
        raise RuntimeError("killed mid-build")

    with pytest.raises(RuntimeError):
        build_once(tmp_path / "model", broken)
    assert list(tmp_path.iterdir()) == []


def test_build_once_keeps_an_existing_folder(tmp_path):
    calls = []
    target = tmp_path / "model"
    for _ in range(2):
        build_once(target, lambda folder: calls.append((folder / "weights").write_text("w")))
    assert len(calls) == 1 and (target / "weights").read_text() == "w"


def test_replace_swaps_in_the_new_folder(tmp_path):
    target = tmp_path / "encoder"
    for version in ("old", "new"):
        with atomic_directory(target, replace=True) as folder:
            (folder / "version").write_text(version)
    assert (target / "version").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["encoder"]


def test_cache_dir_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("XSTILTS_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.delenv("XSTILTS_CACHE_DIR")
    assert default_cache_dir() == Path.home() / ".cache" / "xstilts"
