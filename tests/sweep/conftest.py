"""Sweep fixtures: the fake pipeline (sweep_fake_pipeline.py) importable by worker processes."""

from __future__ import annotations

import os

import pytest

from sweep_helpers import HERE


@pytest.fixture(autouse=True)
def fake_pipeline_importable(monkeypatch):
    """Worker subprocesses find the fake pipeline module through PYTHONPATH."""
    existing = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(HERE), existing])))

