import pytest

from monitor.nlp.normalize import fold, normalize, normalize_many, to_simplified


def test_traditional_becomes_simplified():
    assert to_simplified("這個手機的電池真的很差") == "这个手机的电池真的很差"


def test_simplified_text_is_returned_untouched():
    text = "这个手机的电池真的很差，乾隆年间"
    assert to_simplified(text) is text


def test_full_width_letters_digits_and_punctuation_become_half_width():
    assert normalize("ＸＩＡＯＭＩ　１４！").plain == "XIAOMI 14!"


def test_markup_and_links_are_gone_and_handles_keep_their_names_without_the_at_sign():
    raw = ('<p>星<em class="red">河</em>手机真不错&amp;便宜</p><br/>看这里 http://t.cn/A6xYz9 '
           '//@数码老王: 同意 <img alt="[赞]" src="x.png">')
    norm = normalize(raw)
    assert "星河手机真不错&便宜" in norm.plain
    assert "http" not in norm.plain and "t.cn" not in norm.plain and "@" not in norm.plain
    assert "数码老王" in norm.plain
    assert "同意" in norm.plain


def test_emoticon_codes_are_kept_for_scoring_and_dropped_for_matching():
    norm = normalize("又下雨了[泪][淚]")
    assert norm.scored == "又下雨了[泪][泪]"
    assert norm.plain == "又下雨了"


def test_an_email_address_is_not_a_handle():
    assert "a@b.com" in normalize("联系 a@b.com").plain


def test_a_batch_keeps_one_result_per_text_even_with_stray_angle_brackets():
    texts = ["价格 < 3000", "", "性能 > 预期", "a\x00b"]
    assert [n.plain for n in normalize_many(texts)] == ["价格 < 3000", "", "性能 > 预期", "a b"]
    assert normalize_many([]) == []


def test_fold_is_lower_case_simplified_half_width():
    assert fold("華為ＭＡＴＥ") == "华为mate"


def test_a_handle_without_a_space_after_it_never_swallows_the_words_that_follow():
    assert normalize("求助@华为手机爆炸了烧伤了孩子怎么办").plain == "求助 华为手机爆炸了烧伤了孩子怎么办"


def test_invisible_characters_terminal_escapes_and_lone_surrogates_are_gone():
    raw = "华\u200b为\u202e手机\x1b[31m红\x1b[0m\x07\ud800坏了\ufeff"
    assert normalize(raw).plain == "华为手机红坏了"


def test_clean_keeps_line_breaks_and_zero_width_characters_but_not_what_a_terminal_would_run():
    from monitor.nlp.normalize import clean

    assert clean("第一行\n\t华\u200b为\x1b]0;title\x07\x1b[2J\u202e\ud83d!") == "第一行\n\t华\u200b为!"
    text = "普通的文字"
    assert clean(text) is text


@pytest.mark.parametrize("raw, plain, names", [
    ("求助@华为手机爆炸了烧伤了孩子怎么办", "求助 华为手机爆炸了烧伤了孩子怎么办", ["华为手机爆炸了烧伤了孩子怎么办"]),
    ("@小米公司 我的手机充不进电了", "小米公司 我的手机充不进电了", ["小米公司"]),
    ("好 //@食尚小米: 说得[泪]对 @Apple @苹果小妖", "好 // 食尚小米: 说得 对 Apple 苹果小妖",
     ["食尚小米", "Apple", "苹果小妖"]),
    ("[泪]@食尚小米:[哈哈] ok", "食尚小米: ok", ["食尚小米"]),
    ("联系 a@b.com", "联系 a@b.com", []),
])
def test_handles_lose_their_at_sign_and_their_names_are_located(raw, plain, names):
    norm = normalize(raw)
    assert norm.plain == plain
    assert [norm.plain[a:b] for a, b in norm.handles] == names
    assert "\x01" not in norm.scored
