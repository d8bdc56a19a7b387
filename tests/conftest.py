"""Shared fixtures. The shared data pack is always present (CI lays ../shared beside the clone)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]

# Two cores, many tests: one intra-op thread keeps tests from fighting each other and makes
# CPU numerics reproducible.
torch.set_num_threads(1)
# The matmul peak probe (MFU) runs for 0.3 s at every phase start and end; tests need its value,
# not its precision (benchmarks use the default).
os.environ.setdefault("XSTILTS_PEAK_PROBE_S", "0.01")


def shared_data_dir() -> Path:
    env = os.environ.get("XSTILTS_DATA_DIR")
    return Path(env) if env else REPO.parent / "shared" / "data" / "xtreme-mini"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = shared_data_dir()
    assert (path / "MANIFEST.tsv").is_file(), f"shared data pack missing at {path}"
    return path
