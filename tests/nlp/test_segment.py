import pytest

from jieba import finalseg

from monitor.nlp.segment import Segmenter, _hmm_words
from monitor.nlp.sentiment import DATA_DIR, read_labelled_txt

TRICKY = ["", " ", "X", "星河X5充电爆炸！！", "iPhone15 Pro Max 256G", "12315投诉电话", "哈哈哈哈哈哈哈哈",
          "#星河X5翻车# 王小二和李大嘴在中关村吃了顿饭", "A股今天大涨3.5%，e-mail: a_b@c.com", "一\n二\t三  四",
          "蓝瘦香菇，冲鸭，yyds绝绝子"]


@pytest.fixture(scope="module")
def corpus():
    rows = [t for name in ("heldout_social.txt", "heldout_reviews.txt") for _, t in read_labelled_txt(DATA_DIR / name)]
    return rows + TRICKY


@pytest.mark.parametrize("hmm", [True, False])
def test_cuts_exactly_as_jieba_does(corpus, hmm):
    seg = Segmenter(["星河X5", "云朵奶茶"], hmm=hmm)
    reference = seg._jieba  # jieba's own tokenizer with the same dictionary
    assert [seg.cut(t) for t in corpus] == [reference.lcut(t, HMM=hmm) for t in corpus]


def test_cutting_twice_gives_the_same_words(corpus):
    seg = Segmenter([])
    assert [seg.cut(t) for t in corpus] == [seg.cut(t) for t in corpus]


def test_clauses_remembered_from_earlier_texts_cut_as_jieba_does_even_when_the_memory_fills(corpus, monkeypatch):
    monkeypatch.setattr("monitor.nlp.segment._MEMO", 8)  # forgets every few clauses
    seg = Segmenter(["星河X5"])
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
