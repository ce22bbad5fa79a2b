"""Complaint categories: the lexicon with negation, the config, the stage, eval-categories and the figures."""

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from monitor.config.model import BrandConfig, CategoriesConfig, NlpConfig
from monitor.mention import Mention
from monitor.nlp.categories import Categorizer

ROOT = Path(__file__).resolve().parents[2]
LABELLED = ROOT / "tests" / "fixtures" / "real" / "categories"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, categories", [
    ("手机充电时爆炸了，孩子手被烧伤", ["安全"]),
    ("客服一直不理人，投诉也没用", ["服务/售后"]),
    ("快递一周才到，盒子都压坏了", ["物流"]),
    ("刚买就降价五百，也不给保价", ["价格/退款"]),
    ("宣传续航两天，实际半天没电，虚假宣传", ["虚假宣传"]),
    ("APP偷偷读取通讯录，隐私泄露", ["隐私/数据"]),
    ("奶茶里喝出头发，喝完拉肚子", ["食品安全"]),
    ("用了三天就坏了，售后还不给修", ["质量", "服务/售后"]),
    ("没有任何质量问题，就是物流太慢", ["物流"]),          # negated across fillers
    ("从来没有泄露过隐私，就是太贵", ["价格/退款"]),
    ("今天天气真差", []),
    ("包装还行，是不是假货啊", ["虚假宣传"]),              # a question is no negation
    ("洗了头发更油了，味道刺鼻", ["质量"]),                # hair washed with it is no hair in the food
    ("米线里吃出一根头发", ["食品安全"]),
    ("颜色和图片不一样", ["虚假宣传"]),
    ("刚买两天就跌价两百", ["价格/退款"]),
])
def test_a_complaint_gets_the_categories_its_words_say_and_not_the_negated_ones(text, categories):
    assert Categorizer().categorize(text) == categories


def test_config_terms_add_to_a_category_or_make_a_new_one_and_only_keeps_a_subset():
    custom = Categorizer({"物流": ("驿站",), "门店": ("店长", "排队")}, only=("物流", "门店"))
    assert custom.names == ("物流", "门店")
    assert custom.categorize("放驿站不送上门，店长还骂人，客服也不管") == ["物流", "门店"]


def test_an_unknown_category_in_the_config_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown categories"):
        NlpConfig(categories=CategoriesConfig(only=("外观",)))


@pytest.mark.parametrize("text, categories", [
    ("又小又不甜，个头太小", ["质量"]),                     # a judgement without a category term is about the product
    ("两个小时才到，送餐太慢", ["物流"]),
    ("东西还行，就是前台太差", ["服务/售后"]),            # …or about the aspect the clause names
    ("物流很快，包装完好", []),                            # praise cancels the terms of its clause
    ("物流不错，就是屏幕太模糊", ["质量"]),
    ("差评", []),                                        # a verdict on the whole names nothing
])
def test_clauses_that_judge_without_naming_a_category_get_one(text, categories):
    assert Categorizer().categorize(text) == categories


def test_the_stage_gives_categories_to_complaints_only():
    from monitor.nlp.pipeline import NlpStage

    stage = NlpStage((BrandConfig(name="星河手机", aliases=("星河",)),), NlpConfig())
    mentions = [Mention(id=f"t:{i}", platform="forum", source="s", url=f"https://f.example/{i}", text=text,
                        published_at=NOW, crawled_at=NOW)
                for i, text in enumerate(["星河手机充电爆炸了，烧伤了手，客服还不理人",
                                          "星河手机物流很快，包装完好，非常满意"])]
    complaint, praise = stage.process(mentions).accepted
    assert complaint.sentiment_label == "negative" and complaint.categories == ["安全", "服务/售后"]
    assert praise.sentiment_label != "negative" and praise.categories == []


def test_an_alert_shows_the_categories_of_its_examples():
    from monitor.alerting.message import Style, alert_message
    from monitor.incident import Incident

    examples = [{"platform": "weibo", "author": "用户1", "text": "充电爆炸", "url": "https://w.example/1",
                 "categories": ["安全", "质量"]},
                {"platform": "weibo", "author": "用户2", "text": "又炸了", "url": "https://w.example/2",
                 "categories": ["安全"]}]
    incident = Incident(id="INC-1", fingerprint="kw|星河|", rule="crisis", brand="星河", severity="critical",
                        title="星河 危机词", playbook={"name": "critical"}, opened_at=NOW, last_seen_at=NOW,
                        examples=examples)
    _, body = alert_message(incident, Style(ZoneInfo("Asia/Shanghai")), "第一步", None)
    lines = body.splitlines()
    assert "投诉类别：安全（2）、质量（1）" in lines
    assert "1. [weibo] 【安全】【质量】用户1：充电爆炸" in lines


def test_a_rule_naming_an_unknown_category_is_a_located_config_problem(tmp_path):
    from monitor.config import ConfigError, load_settings

    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "playbooks.yaml").write_text("default:\n  steps:\n    - notify: [console]\n",
                                                       encoding="utf-8")
    (tmp_path / "rules" / "safety.yaml").write_text(
        "name: safety\ntype: threshold\nplaybook: default\nmin_count: 3\nwindow: 1h\n"
        "filter:\n  category: [安全, 外观]\n", encoding="utf-8")
    path = tmp_path / "config.yaml"
    path.write_text("channels:\n  console: 'console://'\nbrands:\n  - name: 星河\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert "safety.yaml" in str(err.value) and "filter.category[1]: unknown category '外观'" in str(err.value)


@pytest.mark.parametrize("name, floor_precision, floor_recall", [
    ("tune.csv", 0.83, 0.80),      # the half the lexicon was extended on
    ("heldout.csv", 0.73, 0.65),   # the other half, its misses read while writing the clause patterns
    ("heldout2.csv", 0.84, 0.76),  # labelled before the patterns were written (misses read in round 3)
    ("heldout3.csv", 0.77, 0.64),  # another source, labelled before the categoriser ran, measured once (round 3)
])
def test_the_lexicon_holds_its_figures_on_the_labelled_complaints(name, floor_precision, floor_recall):
    proc = subprocess.run([sys.executable, "-m", "monitor", "nlp", "eval-categories", str(LABELLED / name),
                           "--json"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(figures["categories"]) == set(Categorizer().names)
    assert figures["precision"] >= floor_precision and figures["recall"] >= floor_recall, figures
    assert "category" in proc.stderr and "misses" in proc.stderr


def test_the_word_trie_finds_what_a_longest_first_alternation_finds():
    import csv
    import re
    from pathlib import Path

    from monitor.nlp.categories import _alternation, _patterns, builtin_lexicon

    words = {w.lower() for terms in (*builtin_lexicon().values(), *_patterns().values()) for w in terms}
    words |= {"a", "ab", "abc", "abd", "b", "c++", "(x)"}
    plain = re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))
    root = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "categories"
    texts = [row["text"].lower() for name in ("heldout.csv", "heldout2.csv", "tune.csv")
             for row in csv.DictReader((root / name).read_text(encoding="utf-8").splitlines())]
    texts += ["abcabdab", "c++ (x) abx", ""]
    trie = _alternation(words)
    assert [[(m.start(), m.group()) for m in trie.finditer(t)] for t in texts] == \
        [[(m.start(), m.group()) for m in plain.finditer(t)] for t in texts]
