"""Fixtures for pipeline tests (helpers live in pipeline_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiny_models import tiny_encoder_dir


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory) -> Path:
    return tiny_encoder_dir(tmp_path_factory.mktemp("encoders"))


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XSTILTS_CACHE_DIR", str(tmp_path / "cache"))
