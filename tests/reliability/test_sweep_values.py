"""A sweep's override and grid values reach the run config as the types YAML gave them: a
string is never parsed as YAML a second time on its way to a trial."""

from __future__ import annotations

import math

import pytest
import yaml

from xstilts.config import load_config, parse_override
from xstilts.sweep.spec import load_sweep
from xstilts.sweep.trials import _override_list, format_override

from reliability_helpers import write_run_config

TRICKY = ["no", "yes", "off", "null", "ablation: bs", "results #2.sqlite", "1e-05", "[1]", "{a: 1}", " x", "",
          "a\"b", "ü", "# comment", "@at", "*star", "&amp", "!tag", "%pct", "3", "0x10"]


@pytest.mark.parametrize("value", TRICKY + [3, 0, -1, 1e-5, 3.0e-5, 1e300, 0.5, True, False, None, math.inf, -math.inf],
                         ids=repr)
def test_a_value_reads_back_as_itself(value):
    key, parsed = parse_override(format_override("k", value))
    assert key == "k" and type(parsed) is type(value) and parsed == value


def test_sweep_strings_reach_the_config_unchanged(tmp_path, data_dir, tiny_encoder):
    write_run_config(tmp_path, data_dir, tiny_encoder)
    (tmp_path / "sweep.yaml").write_text(yaml.safe_dump({
        "base": "run.yaml",
        "overrides": {"store": "results #2.sqlite", "intermediate.train.learning_rate": 1e-5},
        "grid": {"name": ["no", "ablation: bs"]},
    }), encoding="utf-8")
    sweep = load_sweep(tmp_path / "sweep.yaml")
    names = []
    for point in sweep.spec.points():
        config = load_config(sweep.base, _override_list(sweep.spec.overrides, point))
        assert config.store == str(tmp_path / "results #2.sqlite")
        assert config.intermediate.train.learning_rate == 1e-5
        names.append(config.name)
    assert names == ["no", "ablation: bs"]
