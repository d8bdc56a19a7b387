"""Fixtures for model tests: one tiny encoder and its (real e5) tokenizer per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from transformers import AutoModel, AutoTokenizer

from tiny_models import tiny_encoder_dir


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def tiny_dir(model_cache) -> Path:
    return tiny_encoder_dir(model_cache)


@pytest.fixture(scope="session")
def tokenizer(tiny_dir):
    return AutoTokenizer.from_pretrained(tiny_dir)


@pytest.fixture
def tiny_encoder(tiny_dir):
    """A fresh copy per test, so training in one test cannot leak into another."""
    return AutoModel.from_pretrained(tiny_dir)
