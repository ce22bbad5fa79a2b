"""A crisis said of a competitor in a comparison is not our brand's crisis."""

from __future__ import annotations

import pytest

from monitor.config.model import BrandConfig
from monitor.nlp.attribution import CrisisAttribution
from monitor.nlp.normalize import fold
from monitor.nlp.sentiment import crisis_terms

BRANDS = (BrandConfig(name="小米", aliases=("红米",), competitors=("华为", "荣耀")),
          BrandConfig(name="瑞幸", competitors=("星巴克",)))


@pytest.mark.parametrize("text, kept", [
    ("华为被曝光了，还是小米好", []),
    ("荣耀这次翻车，果断换红米", []),
    ("小米又翻车了，华为笑了", ["翻车"]),
    ("小米手机爆炸起火，视频曝光", ["爆炸", "起火", "曝光"]),
    ("小米和华为都被曝光了", ["曝光"]),
    ("星巴克被约谈，瑞幸也被约谈", ["约谈"]),
])
def test_crisis_terms_stay_only_where_the_clause_is_about_a_configured_brand(text, kept):
    terms = crisis_terms(text)
    assert sorted(CrisisAttribution(BRANDS).own(fold(text), terms)) == sorted(kept)


def test_a_text_naming_no_competitor_keeps_every_term():
    terms = crisis_terms("避雷小米，售后投诉无门")
    assert CrisisAttribution(BRANDS).own(fold("避雷小米，售后投诉无门"), terms) == terms
