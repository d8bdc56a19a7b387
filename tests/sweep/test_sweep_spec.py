"""Sweep files: validation errors name the key; grids and random samples expand as specified."""

from __future__ import annotations

import pytest
import yaml

from xstilts.errors import ConfigError
from xstilts.sweep.spec import load_sweep

from sweep_helpers import SMALL_GRID, write_sweep


def write_raw(tmp_path, data) -> object:
    (tmp_path / "base.yaml").write_text("work_dir: work\ntargets: {xnli: {}}\n")
    path = tmp_path / "sweep.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    "data, key",
    [
        ({"base": "base.yaml", "grdi": {"seed": [0]}}, "grdi"),
        ({"base": "base.yaml", "grid": {"seed": []}}, "grid"),
        ({"base": "base.yaml", "grid": {"seed": [0, 0]}}, "grid"),
        ({"base": "base.yaml", "grid": {"not a key": [0]}}, "grid"),
        ({"base": "base.yaml", "search": "bayes"}, "search"),
        ({"base": "base.yaml", "search": "random"}, "samples"),
        ({"base": "base.yaml", "samples": 3}, "samples/seed"),
        ({"base": "base.yaml", "resources": {"num_gpus": -1}}, "resources.num_gpus"),
        ({"base": "base.yaml", "resources": {"gpus": 1}}, "resources.gpus"),
        ({"base": "base.yaml", "grid": {"seed": [[0, 1]]}}, "grid.seed[0]"),
        ({"base": "base.yaml", "arms": [{"seed": [0]}, {"seed": []}]}, "arms"),
        ({"base": "base.yaml", "arms": {"seed": [0]}}, "arms"),
        ({"grid": {"seed": [0]}}, "base"),
        ({"base": "missing.yaml"}, "base"),
        ("base: [unclosed", "<root>"),
        ("- a list", "<root>"),
    ],
)
def test_bad_sweep_files_name_the_key(tmp_path, data, key):
    with pytest.raises(ConfigError) as err:
        load_sweep(write_raw(tmp_path, data))
    assert err.value.key.startswith(key), str(err.value)
    assert err.value.source.endswith("sweep.yaml")


def test_grid_points_cross_every_key_in_order(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path, SMALL_GRID))
    points = sweep.spec.points()
    assert len(points) == 2 * 2 * 1 * 1
    assert points[0] == {"intermediate.task": "none", "intermediate.train.batch_size": 2,
                         "intermediate.train.learning_rate": "1e-5", "seed": 0}
    assert sweep.base == (tmp_path / "base.yaml").resolve()


def test_random_search_draws_a_seeded_subset(tmp_path):
    grid = {"intermediate.train.batch_size": [2, 4, 8, 16], "seed": [0, 1, 2]}
    first = load_sweep(write_sweep(tmp_path / "a", grid, search="random", samples=5, seed=7)).spec.points()
    again = load_sweep(write_sweep(tmp_path / "b", grid, search="random", samples=5, seed=7)).spec.points()
    other = load_sweep(write_sweep(tmp_path / "c", grid, search="random", samples=5, seed=8)).spec.points()
    assert first == again and len(first) == 5 and first != other
    all_points = load_sweep(write_sweep(tmp_path / "d", grid)).spec.points()
    assert all(p in all_points for p in first) and len({repr(p) for p in first}) == 5
    too_many = load_sweep(write_sweep(tmp_path / "e", grid, search="random", samples=50, seed=0)).spec.points()
    assert len(too_many) == 12


def test_grid_blocks_are_arms_whose_union_runs_seed_by_seed(tmp_path):
    epochs_arm = {"seed": [0, 1], "intermediate.train.batch_size": [2, 4]}
    steps_arm = {"seed": [0, 1], "intermediate.train.batch_size": [2, 4], "intermediate.train.max_steps": [3]}
    points = load_sweep(write_sweep(tmp_path, epochs_arm, arms=[steps_arm])).spec.points()
    assert len(points) == 8
    assert [p["seed"] for p in points] == [0, 0, 0, 0, 1, 1, 1, 1]
    # Within a seed: the first arm's points, then the second's, each in grid order.
    assert [p.get("intermediate.train.max_steps") for p in points[:4]] == [None, None, 3, 3]
    assert [p["intermediate.train.batch_size"] for p in points[:4]] == [2, 4, 2, 4]
