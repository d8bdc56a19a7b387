"""Reliability fixtures: the tiny encoder (built once), a private cache per test, a run config."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tiny_models import tiny_encoder_dir
from xstilts.sweep.adapter import DEFAULT_PIPELINE

from crash_harness import (SweepFolder, crash_points_requested, normalized_store, run_sweep, seeds_for,
                           weight_hashes, write_crash_sweep)
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


@dataclass(frozen=True)
class ReferenceSweep:
    """The crash sweep run once without interruption: what every interrupted run must match."""

    sweep: SweepFolder
    seeds: int
    store: dict  # normalized_store(...)
    weights: dict[str, str]  # weight_hashes(...)
    seconds: float


@pytest.fixture(scope="session")
def reference_sweep(tmp_path_factory, data_dir, tiny_encoder) -> ReferenceSweep:
    seeds = seeds_for(crash_points_requested())
    sweep = write_crash_sweep(tmp_path_factory.mktemp("reference"), data_dir, tiny_encoder, seeds)
    start = time.monotonic()
    run_sweep(sweep, pipeline=DEFAULT_PIPELINE, log_name="reference.log")
    return ReferenceSweep(sweep, seeds, normalized_store(sweep.store), weight_hashes(sweep.work), time.monotonic() - start)
