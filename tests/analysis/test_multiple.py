"""Holm and Benjamini-Hochberg: golden numbers worked by hand (they agree with R's p.adjust)."""

import numpy as np
import pandas as pd
import pytest

from xstilts.analysis.multiple import adjust_family, benjamini_hochberg, holm


def test_holm_golden_numbers():
    # sorted 0.005, 0.01, 0.03, 0.04 -> 4*0.005, 3*0.01, 2*0.03, max(1*0.04, 0.06)
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(holm([0.01, 0.02, 0.03, 0.04, 0.05]), [0.05, 0.08, 0.09, 0.09, 0.09])
    np.testing.assert_allclose(holm([0.5, 0.6]), [1.0, 1.0])  # capped at 1


def test_bh_golden_numbers():
    # sorted: 4/1*0.005, 4/2*0.01, 4/3*0.03, 4/4*0.04, then the running minimum from the top
    np.testing.assert_allclose(benjamini_hochberg([0.01, 0.04, 0.03, 0.005]), [0.02, 0.04, 0.04, 0.02])
    np.testing.assert_allclose(benjamini_hochberg([0.01, 0.02, 0.03, 0.04, 0.05]), [0.05] * 5)


def test_missing_p_values_stay_missing_and_do_not_count():
    adjusted = holm([0.01, np.nan, 0.04])
    assert np.isnan(adjusted[1])
    np.testing.assert_allclose(adjusted[[0, 2]], [0.02, 0.04])


def test_families_are_adjusted_apart_and_survival_follows_the_adjusted_p():
    table = pd.DataFrame({"family": ["a", "a", "b"], "p_value": [0.02, 0.03, 0.03]})
    out = adjust_family(table, ["family"])
    assert out["p_adjusted"].tolist() == pytest.approx([0.04, 0.04, 0.03])
    assert out["family_size"].tolist() == [2, 2, 1] and out["survives"].tolist() == [True, True, True]
    bh = adjust_family(pd.DataFrame({"p_value": [0.04, 0.03, 0.2]}), method="bh")
    assert bh["p_adjusted"].tolist() == pytest.approx([0.06, 0.06, 0.2]) and not bh["survives"].any()
    with pytest.raises(ValueError, match="holm, bh"):
        adjust_family(table, method="bonferroni")
