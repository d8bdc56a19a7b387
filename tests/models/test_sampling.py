"""Task mixtures: exact probabilities (the mixture batch order's draws are tested in tests/pipeline)."""

from __future__ import annotations

import pytest

from xstilts.errors import ConfigError
from xstilts.models.sampling import mixture_probabilities

SIZES = {"mnli": 600, "squad": 300, "cosmos": 100}


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("proportional", {"mnli": 0.6, "squad": 0.3, "cosmos": 0.1}),
        # T = 2: weights sqrt(600), sqrt(300), sqrt(100) = 24.49, 17.32, 10 -> / 51.81
        ("temperature", {"mnli": 0.47275, "squad": 0.33428, "cosmos": 0.19300}),
        ("uniform", {"mnli": 1 / 3, "squad": 1 / 3, "cosmos": 1 / 3}),
    ],
)
def test_probabilities(method, expected):
    probabilities = mixture_probabilities(SIZES, method, temperature=2.0)
    assert probabilities == pytest.approx(expected, abs=1e-4)


def test_temperature_one_is_proportional_and_large_temperature_nears_uniform():
    assert mixture_probabilities(SIZES, "temperature", 1.0) == pytest.approx(
        mixture_probabilities(SIZES, "proportional")
    )
    flat = mixture_probabilities(SIZES, "temperature", 1000.0)
    assert max(flat.values()) - min(flat.values()) < 0.01


@pytest.mark.parametrize(
    ("sizes", "method", "temperature", "key"),
    [
        (SIZES, "round_robin", 2.0, "multitask.sampler"),
        (SIZES, "temperature", 0.0, "multitask.temperature"),
        ({"a": 5, "b": 0}, "proportional", 2.0, "multitask.tasks"),
        ({}, "uniform", 2.0, "multitask.tasks"),
    ],
)
def test_bad_mixtures_are_config_errors(sizes, method, temperature, key):
    with pytest.raises(ConfigError, match=key):
        mixture_probabilities(sizes, method, temperature)
