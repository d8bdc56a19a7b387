import pytest

from xstilts.metrics.classification import accuracy


def test_accuracy_is_percentage_of_exact_string_matches():
    # 3 of 4 equal -> 75.0; "07" != "7" because Tatoeba indices are compared as text.
    assert accuracy(["1", "0", "7", "1"], ["1", "0", "07", "1"]) == {"accuracy": 75.0}


def test_accuracy_rejects_misaligned_or_empty_input():
    with pytest.raises(ValueError, match="2 predictions for 3 gold"):
        accuracy(["a", "b", "c"], ["a", "b"])
    with pytest.raises(ValueError, match="no examples"):
        accuracy([], [])
