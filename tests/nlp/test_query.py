import pytest

from monitor.nlp.normalize import fold
from monitor.nlp.query import QuerySyntaxError, Text, parse_query


def matches(query: str, text: str, blocked=()) -> bool:
    return parse_query(query).matches(Text(fold(text), list(blocked)))


@pytest.mark.parametrize("query, text, expected", [
    ("手机 AND 爆炸", "星河手机充电爆炸", True),
    ("手机 AND 爆炸", "星河手机充电很快", False),
    ("爆炸 OR 起火", "充电时起火了", True),
    ("手机 NOT 壳", "买了个手机壳", False),
    ("手机 AND NOT 壳", "新手机到了", True),
    ("NOT 广告", "这是一条广告", False),
    ("(爆炸 OR 起火) AND (手机 OR 充电宝)", "充电宝起火", True),
    ("(爆炸 OR 起火) AND (手机 OR 充电宝)", "厨房起火", False),
    ("手机 OR 充电 AND 爆炸", "新手机", True),  # AND binds tighter than OR
    ('"galaxy phone" AND 评测', "Galaxy Phones 评测", False),  # a phrase is matched as written, whole words
    ('"galaxy phone" AND 评测', "GALAXY PHONE的评测", True),
    ("“星河 X5” OR 星河X5", "星河 x5 开箱", True),
])
def test_boolean_operators(query, text, expected):
    assert matches(query, text) is expected


def test_near_counts_characters_between_the_terms():
    assert matches("星河 NEAR/5 爆炸", "星河X5充电爆炸了")  # 4 characters apart
    assert matches("爆炸 NEAR/5 星河", "星河X5充电爆炸了")  # either order
    assert not matches("星河 NEAR/3 爆炸", "星河X5充电爆炸了")
    assert matches("(星河 OR 极光) NEAR/2 (爆炸 OR 起火)", "极光也起火")


def test_terms_and_text_are_compared_folded():
    assert matches("华为 AND mate", "華為ＭＡＴＥ７０發佈")


def test_a_latin_term_does_not_match_inside_a_longer_word():
    assert not matches("mi", "my family")
    assert matches("mi", "小米mi手机")
    assert matches("xiaomi", "xiaomi14 到手")


def test_blocked_spans_hide_the_terms_inside_them():
    text = "喝了小米粥"
    start = fold(text).index("小米粥")
    assert not matches("小米", text, [(start, start + 3)])
    assert matches("小米", text)


@pytest.mark.parametrize("query, reason, column", [
    ("", "empty", 1),
    ("手机 AND (爆炸 OR 起火", "'(' is never closed", 8),
    ("手机 AND 爆炸)", "')' without a matching '('", 10),
    ("手机 AND", "ends after AND", 4),
    ("OR 手机", "expected a term, found OR", 1),
    ('手机 AND "爆炸', "unclosed quote", 8),
    ("手机 爆炸", "expected AND, OR, NOT or NEAR/n before '爆炸'", 4),
    ("手机 and 爆炸", "operators are upper-case: AND", 4),
    ("手机 NEAR 爆炸", "NEAR needs a distance", 4),
    ("手机 NEAR/5 (爆炸 AND 起火)", "NEAR/5 joins terms", 4),
    ("手机 AND ()", "empty parentheses", 8),
    ("手机 AND http://t.cn/x", "nothing to match once normalised", 8),
])
def test_syntax_errors_name_the_column(query, reason, column):
    with pytest.raises(QuerySyntaxError) as err:
        parse_query(query)
    assert reason in err.value.reason
    assert err.value.column == column
    assert str(err.value).endswith(f"at column {column}")


def test_terms_lists_every_term_for_the_dictionary():
    assert set(parse_query('(星河 OR "星河 x5") NEAR/3 爆炸 NOT 星河湾').terms()) == {"星河", "星河 x5", "爆炸", "星河湾"}
