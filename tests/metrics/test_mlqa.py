import pytest

from xstilts.metrics.mlqa import mixed_segmentation, mlqa_em_f1, mlqa_normalize
from xstilts.metrics.qa import squad_em_f1


def test_mixed_segmentation_splits_cjk_per_character():
    tokens = mixed_segmentation("电化电池 abc def。x")
    assert tokens == ["电", "化", "电", "池", "abc", "def", "。", "x"]


@pytest.mark.parametrize(
    ("language", "text", "normalized"),
    [
        ("en", "The cat, a dog", "cat dog"),
        ("es", "Los gatos y las casas", "gatos y casas"),
        ("de", "Der Hund und das Haus", "hund und haus"),
        ("vi", "những con mèo của tôi", "con mèo tôi"),
        # Arabic: the prefix "ال" is removed wherever it occurs
        ("ar", "الكتاب", "كتاب"),
        # Hindi: no articles; the danda "।" is Unicode punctuation
        ("hi", "उत्तर पूर्व।", "उत्तर पूर्व"),
        ("zh", "电化电池！", "电 化 电 池"),
        ("en", "«quoted»—text", "quotedtext"),  # every Unicode P* character is punctuation
    ],
)
def test_mlqa_normalize_per_language(language, text, normalized):
    assert mlqa_normalize(text, language) == normalized


def test_mlqa_chinese_gets_partial_credit_inside_words():
    gold = [("q", ["电化电池"])]
    # tokens 电 池 vs 电 化 电 池: overlap 2 -> P = 1, R = 1/2, F1 = 2/3; EM 0
    scores = mlqa_em_f1(gold, {"q": "电池"}, "zh")
    assert scores == pytest.approx({"exact_match": 0.0, "f1": 200 / 3})
    # SQuAD rules see one token each and give no credit at all.
    assert squad_em_f1(gold, {"q": "电池"}) == {"exact_match": 0.0, "f1": 0.0}


def test_mlqa_spanish_articles_differ_from_squad():
    gold = [("q", ["los gatos"])]
    # MLQA (es): "gatos" == "gatos" -> EM 1.  SQuAD: [gatos] vs [los, gatos] -> EM 0, F1 2/3
    assert mlqa_em_f1(gold, {"q": "gatos"}, "es")["exact_match"] == 100.0
    assert squad_em_f1(gold, {"q": "gatos"}) == pytest.approx({"exact_match": 0.0, "f1": 200 / 3})


def test_mlqa_rejects_unknown_language():
    with pytest.raises(ValueError, match="'fr'"):
        mlqa_em_f1([("q", ["x"])], {"q": "x"}, "fr")
