import subprocess
import sys

import pytest

from monitor.config import ConfigError, load_settings
from monitor.config.model import BrandConfig
from monitor.nlp.brands import BrandMatcher

XIAOMI = BrandConfig(name="小米", aliases=("Xiaomi", "雷军"), exclude=("小米粥", "小米椒"))
HUAWEI = BrandConfig(name="华为", aliases=("Huawei",))


def test_an_alias_matches_its_brand_case_insensitively():
    assert BrandMatcher([XIAOMI, HUAWEI]).match("XIAOMI 14 的影像不错，HuaWei 也行") == ["小米", "华为"]


def test_porridge_is_not_the_phone_maker():
    assert BrandMatcher([XIAOMI]).match("早上喝了一碗小米粥，加了点小米椒") == []


def test_without_the_exclusion_the_porridge_would_match():
    assert BrandMatcher([XIAOMI.model_copy(update={"exclude": ()})]).match("早上喝了一碗小米粥") == ["小米"]


def test_an_exclusion_only_suppresses_the_text_it_covers():
    assert BrandMatcher([XIAOMI]).match("喝着小米粥刷小米手机") == ["小米"]


def test_unrelated_text_matches_nothing():
    assert BrandMatcher([XIAOMI, HUAWEI]).match("今天天气很好") == []


def test_traditional_and_full_width_text_matches():
    assert BrandMatcher([XIAOMI, HUAWEI]).match("華為和ＸＩＡＯＭＩ哪個好") == ["小米", "华为"]


def test_a_latin_alias_does_not_match_inside_another_word():
    apple = BrandConfig(name="苹果", aliases=("iPhone", "Mac"))
    assert BrandMatcher([apple]).match("macro photography with a smartphone") == []
    assert BrandMatcher([apple]).match("iPhone15 和 Mac mini") == ["苹果"]


def test_a_query_narrows_the_brand_to_the_right_context():
    phone = BrandConfig(name="小米", aliases=("Xiaomi",), exclude=("小米粥",),
                        query="(手机 OR 汽车 OR SU7 OR xiaomi) NOT (种植 OR 煮)")
    matcher = BrandMatcher([phone])
    assert matcher.match("小米手机发布会") == ["小米"]
    assert matcher.match("小米SU7 上市") == ["小米"]
    assert matcher.match("家里种植的小米丰收了") == []
    assert matcher.match("用小米煮粥") == []


def test_query_terms_inside_an_exclusion_do_not_count():
    phone = BrandConfig(name="小米", aliases=("雷军",), exclude=("小米粥",), query="小米 OR xiaomi")
    assert BrandMatcher([phone]).match("雷军说他早餐喝小米粥") == []
    assert BrandMatcher([phone]).match("雷军说小米要造车") == ["小米"]


def test_a_query_never_matches_without_a_brand_name():
    assert BrandMatcher([BrandConfig(name="星河", query="手机")]).match("新手机到了") == []


def _config(tmp_path, query: str):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "playbooks.yaml").write_text("default:\n  steps:\n    - notify: [console]\n",
                                                       encoding="utf-8")
    path = tmp_path / "config.yaml"
    path.write_text(
        "channels:\n  console: 'console://'\n"
        "brands:\n"
        "  - name: 小米\n"
        "  - name: 星河\n"
        "    aliases: [星河X5]\n"
        f"    query: '{query}'\n", encoding="utf-8")
    return path


def test_a_bad_query_is_a_located_config_problem(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_settings(_config(tmp_path, "(手机 OR 充电 AND 爆炸"))
    assert str(err.value) == f"{tmp_path / 'config.yaml'}:7: brands[1].query: '(' is never closed at column 1"


def test_brandmon_check_reports_the_column_of_a_query_error(tmp_path):
    path = _config(tmp_path, "手机 爆炸")
    proc = subprocess.run([sys.executable, "-m", "monitor", "check", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    assert f"{path}:7: brands[1].query: expected AND, OR, NOT or NEAR/n before '爆炸'" in proc.stderr
    assert "at column 4" in proc.stderr


def test_a_good_query_passes_the_check(tmp_path):
    settings = load_settings(_config(tmp_path, "(手机 OR 充电) NEAR/10 爆炸 NOT 星河湾"))
    assert settings.config.brands[1].query == "(手机 OR 充电) NEAR/10 爆炸 NOT 星河湾"
