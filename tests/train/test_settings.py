import pytest
from pydantic import ValidationError

from xstilts.errors import ConfigError
from xstilts.train.settings import TrainSettings


@pytest.mark.parametrize(
    "field, value",
    [
        ("batch_size", 0),
        ("learning_rate", 0.0),
        ("learning_rate", -1e-5),
        ("micro_batch_size", 0),
        ("epochs", 0),
        ("warmup_ratio", 1.0),
        ("weight_decay", -0.1),
        ("patience", 0),
        ("eval_every", 0),
        ("max_grad_norm", 0.0),
        ("max_steps", 0),
    ],
)
def test_out_of_range_values_are_rejected_naming_the_field(field, value):
    with pytest.raises(ValidationError) as caught:
        TrainSettings(**{field: value})
    assert [error["loc"] for error in caught.value.errors()] == [(field,)]
    assert field in str(caught.value)


def test_unknown_fields_are_rejected():
    with pytest.raises(ValidationError, match="learning_rat"):
        TrainSettings(learning_rat=1e-5)


def test_micro_batch_must_divide_the_effective_batch():
    with pytest.raises(ValidationError, match=r"batch_size \(30\) must be a multiple of micro_batch_size \(8\)"):
        TrainSettings(batch_size=30, micro_batch_size=8)
    with pytest.raises(ValidationError, match="must not exceed batch_size"):
        TrainSettings(batch_size=8, micro_batch_size=16)


def test_accumulation_steps_account_for_processes():
    settings = TrainSettings(batch_size=32, micro_batch_size=4)
    assert settings.accumulation_steps() == 8
    assert settings.accumulation_steps(world_size=2) == 4
    with pytest.raises(ConfigError, match="config key 'batch_size'"):
        settings.accumulation_steps(world_size=3)


def test_every_field_has_a_description_for_the_cli():
    undescribed = [name for name, info in TrainSettings.model_fields.items() if not info.description]
    assert undescribed == []


def test_trajectory_fields_leave_out_bookkeeping_only():
    fields = TrainSettings().trajectory_fields()
    assert "learning_rate" in fields and "seed" in fields and "micro_batch_size" in fields
    assert "checkpoint_every" not in fields and "peak_flops" not in fields
