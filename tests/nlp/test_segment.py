import csv
import logging
from pathlib import Path

import pytest

from jieba import finalseg

from monitor.config.loader import load_settings
from monitor.nlp import segment
from monitor.nlp.pipeline import dictionary_terms
from monitor.nlp.segment import Segmenter, _hmm_words
from monitor.nlp.sentiment import DATA_DIR, read_labelled_txt

ROOT = Path(__file__).resolve().parents[2]
TRICKY = ["", " ", "X", "星河X5充电爆炸！！", "iPhone15 Pro Max 256G", "12315投诉电话", "哈哈哈哈哈哈哈哈",
          "#星河X5翻车# 王小二和李大嘴在中关村吃了顿饭", "A股今天大涨3.5%，e-mail: a_b@c.com", "一\n二\t三  四",
          "蓝瘦香菇，冲鸭，yyds绝绝子",
          # where jieba-rs alone would differ: runs of letters, digits and signs inside a clause (jieba's HMM
          # splits them), equal-probability routes, CJK characters outside jieba's Han range
          "冠道2.0t那套动力总成，0w-20机油，马自达CX-5，跑个8-9升", "链接http://t.cn/A6xYz 看这里", "C++和C#都会",
          "新浪你变态啊啊啊啊啊啊啊！", "拖拖拖到七点", "笑死哈哈哈哈，冠道2.0t真香，C++和蓝瘦香菇啊啊啊 yyds", "阿江江江江不白", "㐀㐁好的", "豈更好", "𠀀𠀁好", "a  b\r\nc の 한국 😀"]


@pytest.fixture(scope="module")
def corpus():
    rows = [t for name in ("heldout_social.txt", "heldout_reviews.txt") for _, t in read_labelled_txt(DATA_DIR / name)]
    return rows + TRICKY


@pytest.fixture(scope="module")
def wide(corpus):
    """The corpus and 1,500 car-forum posts, full of 2.5T, 5w-30, CX-5 and 8-9升."""
    with open(ROOT / "tests/fixtures/real/sentiment/car_forum.csv", encoding="utf-8") as f:
        return corpus + [row["text"] for row in csv.DictReader(f)][:1500]


@pytest.fixture(scope="module")
def shipped_brand_terms():
    """The example config's names: several (小米, 华为, 苹果) are dictionary words already, which jieba and
    jieba-rs count differently into the dictionary's total unless the segmenter evens them out."""
    return sorted(dictionary_terms(load_settings(ROOT / "config.example.yaml").config.brands))


@pytest.mark.parametrize("compiled", [True, False], ids=["rjieba", "pure-python"])
@pytest.mark.parametrize("hmm", [True, False])
def test_cuts_exactly_as_jieba_does(wide, shipped_brand_terms, hmm, compiled):
    seg = Segmenter(["星河X5", "云朵奶茶", *shipped_brand_terms], hmm=hmm, compiled=compiled)
    assert seg.compiled == compiled
    reference = seg._jieba  # jieba's own tokenizer with the same dictionary
    assert [seg.cut(t) for t in wide] == [reference.lcut(t, HMM=hmm) for t in wide]


def test_user_dictionary_words_reach_the_compiled_segmenter_and_cut_as_jieba_does(wide, tmp_path):
    words = tmp_path / "dict.txt"
    words.write_text("蓝瘦香菇 50000 n\n动力总成\n森林人 3000\n", encoding="utf-8")  # a word with no count: jieba's guess
    seg = Segmenter([], [words])
    assert seg.compiled
    assert "蓝瘦香菇" in seg.cut("蓝瘦香菇，冲鸭") and "动力总成" in seg.cut("那套动力总成")
    assert [seg.cut(t) for t in wide] == [seg._jieba.lcut(t) for t in wide]


def test_a_user_dictionary_restating_common_words_keeps_both_segmenters_on_the_same_total(wide, tmp_path):
    """jieba adds a restated word's count to its total again, jieba-rs does not: a sixth of the total here."""
    common = {"的": 318825, "了": 883634, "是": 796991, "在": 727915, "我": 328841, "有": 423765, "和": 555815,
              "就": 273122, "不": 360331, "人": 313209, "都": 202780, "一": 217830, "一个": 142747}
    words = tmp_path / "dict.txt"
    words.write_text("".join(f"{w} {n}\n" for w, n in common.items()) * 2, encoding="utf-8")
    seg = Segmenter(["星河X5"], [words])
    assert seg.compiled
    assert [seg.cut(t) for t in wide] == [seg._jieba.lcut(t) for t in wide]


def test_a_user_dictionary_that_deletes_a_word_keeps_to_pure_python_jieba(tmp_path):
    words = tmp_path / "dict.txt"
    words.write_text("中关村 0\n", encoding="utf-8")  # jieba then forces the split in its HMM too
    seg = Segmenter([], [words])
    assert not seg.compiled
    assert seg.cut("王小二在中关村吃饭") == seg._jieba.lcut("王小二在中关村吃饭")


def test_without_rjieba_the_segmenter_says_so_once_and_cuts_the_same_words(corpus, monkeypatch, caplog):
    monkeypatch.setattr(segment, "rjieba", None)
    segment._pure_python_once.cache_clear()
    with caplog.at_level(logging.INFO, logger="monitor.nlp.segment"):
        first, second = Segmenter(["星河X5"]), Segmenter(["星河X5"])
    assert not first.compiled and not second.compiled
    assert [r.message.startswith("rjieba is not installed") for r in caplog.records] == [True]
    pure = Segmenter(["星河X5"], compiled=False)
    assert [first.analyse(t) for t in corpus] == [pure.analyse(t) for t in corpus]
    segment._pure_python_once.cache_clear()


def test_both_segmenters_give_the_same_words_and_keywords(wide, shipped_brand_terms):
    fast = Segmenter(shipped_brand_terms, not_keywords=shipped_brand_terms[:20])
    slow = Segmenter(shipped_brand_terms, not_keywords=shipped_brand_terms[:20], compiled=False)
    assert [fast.analyse(t) for t in wide] == [slow.analyse(t) for t in wide]


def test_cutting_twice_gives_the_same_words(corpus):
    seg = Segmenter([])
    assert [seg.cut(t) for t in corpus] == [seg.cut(t) for t in corpus]


def test_clauses_remembered_from_earlier_texts_cut_as_jieba_does_even_when_the_memory_fills(corpus, monkeypatch):
    monkeypatch.setattr("monitor.nlp.segment._MEMO", 8)  # forgets every few clauses
    seg = Segmenter(["星河X5"], compiled=False)  # rjieba cuts whole texts; the pure-Python route remembers clauses
    reposts = [f"转发微博//@小林:{t}" for t in corpus[:40]] + corpus[:40]  # each clause read twice, far apart
    assert [seg.cut(t) for t in reposts] == [seg._jieba.lcut(t) for t in reposts]
    assert len(seg._blocks) <= 8


def test_unknown_word_runs_are_split_as_jiebas_hmm_splits_them(corpus):
    runs = [t[i:i + n] for t in corpus for i in range(0, len(t), 7) for n in (1, 2, 5, 12)]
    runs += ["蓝瘦香菇", "王小二", "yyds绝绝子", "3.5%涨", "蜜雪冰城甜蜜蜜"]
    assert [_hmm_words(r) for r in runs] == [list(finalseg.cut(r)) for r in runs]


def test_brand_terms_are_never_split():
    seg = Segmenter(["星河X5", "云朵奶茶"])
    tokens = seg.tokens("星河X5充电爆炸，云朵奶茶很好喝")
    assert "星河X5" in tokens and "云朵奶茶" in tokens


def test_brand_terms_survive_folding():
    assert "星河x5" in Segmenter(["星河X5"]).tokens("新买的星河x5")


def test_punctuation_and_stopwords_are_dropped():
    tokens = Segmenter([]).tokens("这个手机的电池，真的很差！！")
    assert "，" not in tokens and "的" not in tokens and "！" not in tokens and "电池" in tokens


def test_keywords_are_the_distinctive_words():
    keywords = Segmenter(["星河X5"]).keywords("星河X5充电时爆炸起火，电池爆炸太可怕了", top=3)
    assert keywords[0] == "爆炸"


def test_keywords_leave_brand_names_and_punctuation_out():
    words, keywords = Segmenter(["星河X5", "极光手机"]).analyse("星河X5和极光手机！！！屏幕对比，星河X5屏幕更亮")
    assert "星河X5" in words
    assert "星河X5" not in keywords and "极光手机" not in keywords and "！！！" not in keywords
    assert "屏幕" in keywords


def test_user_dictionaries_are_loaded(tmp_path):
    words = tmp_path / "dict.txt"
    words.write_text("蓝鲸计划 100 n\n", encoding="utf-8")
    assert "蓝鲸计划" in Segmenter([], [words]).tokens("公司启动了蓝鲸计划")


def test_brand_words_do_not_leak_into_the_global_jieba():
    import jieba

    Segmenter(["蓝鲸星河大计"])
    assert "蓝鲸星河大计" not in jieba.lcut("蓝鲸星河大计")
