from monitor.config.model import BrandConfig
from monitor.nlp.brands import BrandMatcher

XIAOMI = BrandConfig(name="小米", aliases=("Xiaomi", "雷军"), exclude=("小米粥", "小米椒"))
HUAWEI = BrandConfig(name="华为", aliases=("Huawei",))


def test_an_alias_matches_its_brand_case_insensitively():
    assert BrandMatcher([XIAOMI, HUAWEI]).match("XIAOMI 14 的影像不错，HuaWei 也行") == ["小米", "华为"]


def test_porridge_is_not_the_phone_maker():
    assert BrandMatcher([XIAOMI]).match("早上喝了一碗小米粥，加了点小米椒") == []


def test_an_exclusion_only_suppresses_the_text_it_covers():
    assert BrandMatcher([XIAOMI]).match("喝着小米粥刷小米手机") == ["小米"]


def test_unrelated_text_matches_nothing():
    assert BrandMatcher([XIAOMI, HUAWEI]).match("今天天气很好") == []
