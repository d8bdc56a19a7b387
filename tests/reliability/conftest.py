"""Reliability fixtures: the tiny encoder (built once), a private cache per test, a run config."""

from __future__ import annotations

from pathlib import Path

import pytest

from xstilts.models.tiny import tiny_encoder_dir

from reliability_helpers import write_run_config


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory) -> Path:
    return tiny_encoder_dir(tmp_path_factory.mktemp("encoders"))


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Featurized data goes to this test's folder: nothing is shared between tests by accident."""
    monkeypatch.setenv("XSTILTS_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def run_config(tmp_path, data_dir, tiny_encoder) -> Path:
    """A valid tiny run config (SST-2 intermediate, PAWS-X target in en/de) under tmp_path."""
    return write_run_config(tmp_path / "run", data_dir, tiny_encoder)
