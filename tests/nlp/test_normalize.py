from monitor.nlp.normalize import fold, normalize, normalize_many, to_simplified


def test_traditional_becomes_simplified():
    assert to_simplified("這個手機的電池真的很差") == "这个手机的电池真的很差"


def test_simplified_text_is_returned_untouched():
    text = "这个手机的电池真的很差，乾隆年间"
    assert to_simplified(text) is text


def test_full_width_letters_digits_and_punctuation_become_half_width():
    assert normalize("ＸＩＡＯＭＩ　１４！").plain == "XIAOMI 14!"


def test_markup_links_and_handles_are_gone_but_the_words_stay():
    raw = ('<p>星<em class="red">河</em>手机真不错&amp;便宜</p><br/>看这里 http://t.cn/A6xYz9 '
           '//@数码老王: 同意 <img alt="[赞]" src="x.png">')
    norm = normalize(raw)
    assert "星河手机真不错&便宜" in norm.plain
    assert "http" not in norm.plain and "t.cn" not in norm.plain and "数码老王" not in norm.plain
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
