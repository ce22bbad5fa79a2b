from monitor.nlp.segment import Segmenter


def test_brand_terms_are_never_split():
    seg = Segmenter(["星河X5", "云朵奶茶"])
    tokens = seg.tokens("星河X5充电爆炸，云朵奶茶很好喝")
    assert "星河X5" in tokens and "云朵奶茶" in tokens


def test_punctuation_and_stopwords_are_dropped():
    tokens = Segmenter([]).tokens("这个手机的电池，真的很差！！")
    assert "，" not in tokens and "的" not in tokens and "电池" in tokens


def test_keywords_are_the_distinctive_words():
    keywords = Segmenter(["星河X5"]).keywords("星河X5充电时爆炸起火，电池爆炸太可怕了", top=3)
    assert "爆炸" in keywords


def test_user_dictionaries_are_loaded(tmp_path):
    words = tmp_path / "dict.txt"
    words.write_text("蓝鲸计划 100 n\n", encoding="utf-8")
    assert "蓝鲸计划" in Segmenter([], [words]).tokens("公司启动了蓝鲸计划")
