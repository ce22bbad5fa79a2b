"""A crisis term belongs to the brand its clause is about: a competitor's crisis in a comparison is not ours,
and one configured brand's fire is not another's."""

from __future__ import annotations

import pytest

from monitor.config.model import BrandConfig
from monitor.nlp.attribution import POST, CrisisAttribution, owned
from monitor.nlp.normalize import fold
from monitor.nlp.sentiment import crisis_terms

BRANDS = (BrandConfig(name="小米", aliases=("红米",), competitors=("华为", "荣耀")),
          BrandConfig(name="瑞幸", competitors=("星巴克",)),
          BrandConfig(name="青禾咖啡", competitors=("瑞幸",)))


def said(text: str) -> dict:
    return CrisisAttribution(BRANDS).said_of(fold(text), crisis_terms(text))


@pytest.mark.parametrize("text, expected", [
    ("华为被曝光了，还是小米好", {}),
    ("荣耀这次翻车，果断换红米", {}),
    ("小米又翻车了，华为笑了", {"小米": ["翻车"]}),
    ("小米和华为都被曝光了", {"小米": ["曝光"]}),
    ("星巴克被约谈，瑞幸也被约谈", {"瑞幸": ["约谈"]}),
    ("瑞幸起火了，还是青禾咖啡好", {"瑞幸": ["起火"]}),
])
def test_a_clause_that_names_brands_is_about_those_it_names(text, expected):
    assert said(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("青禾咖啡门店爆炸，现场有人受伤", {"青禾咖啡": ["爆炸", "受伤"]}),  # goes on about the brand named last
    ("视频曝光：青禾咖啡门店起火", {"青禾咖啡": ["曝光", "起火"]}),  # before any name: the first named
    ("华为出事了，起火了，还是小米好", {}),  # the fire goes on about 华为
])
def test_a_clause_that_names_nobody_is_about_the_brands_named_nearest_before_it(text, expected):
    assert said(text) == expected


def test_a_text_that_names_nobody_is_about_the_posts_own_brands():
    assert said("售后投诉无门，避雷") == {POST: ["投诉", "避雷"]}
    assert owned(said("售后投诉无门，避雷"), ["小米"]) == (["投诉", "避雷"], ["小米"])


def test_a_mention_keeps_the_terms_said_of_its_own_brands_and_names_those_brands():
    comparison = said("瑞幸起火了，青禾咖啡退款难")
    assert owned(comparison, ["瑞幸", "青禾咖啡"]) == (["起火", "退款"], ["瑞幸", "青禾咖啡"])
    assert owned(said("瑞幸起火了，还是青禾咖啡好"), ["瑞幸", "青禾咖啡"]) == (["起火"], ["瑞幸"])
    assert owned(said("瑞幸起火了，还是青禾咖啡好"), ["青禾咖啡"]) == ([], [])
