"""Hostile input, bounded: one poisoned post between two good ones, for each way a page can lie — absurd
counts, impossible times, wrong JSON types, deep nesting, lone surrogates, terminal escapes, direction
overrides, javascript: links, megabyte texts. Every crawl finishes, both siblings are kept, and the
poisoned value is skipped, flagged or cleaned and counted under its reason. The pages are written here
(from the invented Bilibili fixture and small HTML and RSS pages): no real page carries these faults.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone

import pytest

from monitor.crawl.sanitize import MAX_TEXT
from tests.crawl.conftest import by_native_id, make_source
from tests.crawl.fixture_site import SITES, Reply

NOW = datetime(2025, 11, 23, 2, 0, tzinfo=timezone.utc)
BILI_PAGE = "/x/v2/reply/main?type=1&oid=170001&mode=2&next=0"
BASE = json.loads((SITES / "bilibili" / "reply-main-next-0.json").read_text(encoding="utf-8"))
GOOD = ("230003", "230001")  # the poisoned reply is 230002, between them
DEEP = 100_000


def bili_page(poison) -> bytes:
    page = copy.deepcopy(BASE)
    page["data"]["cursor"]["is_end"] = True
    victim = page["data"]["replies"][1]
    poison(victim)
    return json.dumps(page).encode("ascii")  # escaped: a lone surrogate arrives as the "\\ud800" sites send


def setter(*path_and_value):
    *path, value = path_and_value

    def poison(reply):
        node = reply
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return poison


# (case, poison, what the crawl reports, check on the poisoned mention or None when it is skipped)
JSON_CASES = [
    ("likes past 2^63", setter("like", 2**64), {"clamped": 1}, lambda m: m.engagement.likes == 2**63 - 1),
    ("likes -5", setter("like", "-5"), {"invalid": 1}, lambda m: m.engagement.likes is None),
    ("likes 1e999", setter("like", "1e999"), {"invalid": 1}, lambda m: m.engagement.likes is None),
    ("likes NaN", setter("like", float("nan")), {"invalid": 1}, lambda m: m.engagement.likes is None),
    ("likes Infinity", setter("like", float("inf")), {"invalid": 1}, lambda m: m.engagement.likes is None),
    ("likes an object", setter("like", {"n": 1}), {}, lambda m: m.engagement.likes is None),
    ("replies an object", setter("rcount", {"n": 2}), {}, lambda m: m.engagement.comments is None),
    ("time 昨天 25:99", setter("ctime", "昨天 25:99"), {"time_unknown": 1}, lambda m: m.time_unknown),
    ("time year 0001", setter("ctime", "0001-01-01T00:00:00Z"), {"time_unknown": 1}, lambda m: m.time_unknown),
    ("time 2099", setter("ctime", 4_070_908_800), {"time_unknown": 1}, lambda m: m.time_unknown),
    ("time 1e30", setter("ctime", 1e30), {"time_unknown": 1}, lambda m: m.time_unknown),
    ("time missing", setter("ctime", None), {"time_unknown": 1}, lambda m: m.time_unknown and m.published_at == NOW),
    ("lone surrogate", setter("content", "message", "星河\ud800好"), {"cleaned": 1}, lambda m: m.text == "星河好"),
    ("terminal escapes", setter("content", "message", "\x1b[2J\x1b[31m星河\x1b[0m差评"), {"cleaned": 1},
     lambda m: m.text == "星河差评"),
    ("right-to-left override", setter("content", "message", "星河\u202e评差\u202c"), {"cleaned": 1},
     lambda m: m.text == "星河评差"),
    ("a megabyte of text", setter("content", "message", "星" * 1_000_000), {"cleaned": 1},
     lambda m: len(m.text) == MAX_TEXT),
    ("author name an object", setter("member", "uname", {"x": 1}), {}, lambda m: m.author.name is None),
    ("member a string", setter("member", "oops"), {}, lambda m: m.author.name is None),
    ("content a list", setter("content", []), {"empty": 1}, None),
    ("text only controls", setter("content", "message", "\x00\x07\x1b[0m"), {"malformed": 1, "cleaned": 1}, None),
    ("id an object", setter("rpid_str", {"a": 1}), {}, lambda m: m.native_id == "230002"),  # falls back to rpid
    ("deeply nested replies", setter("replies", json.loads("[" * 900 + "]" * 900)), {"empty": 1},
     lambda m: m.text == "up主测得很细，星河X5 电池温度确实偏高"),
]


@pytest.mark.parametrize(("case", "poison", "reported", "check"), JSON_CASES, ids=[c[0] for c in JSON_CASES])
def test_a_poisoned_comment_is_handled_alone_and_counted(serve, runner, case, poison, reported, check):
    site = serve("bilibili")
    site.route(BILI_PAGE, Reply(body=bili_page(poison), content_type="application/json"))
    source = make_source("video", "comments", {"preset": "bilibili", "base_url": site.url, "targets": [170001]})
    result = runner.crawl(source, now=NOW)
    comments = by_native_id(result)
    assert result.errors == 0 and all(good in comments for good in GOOD)
    assert result.skipped == reported
    if check is None:
        assert "230002" not in comments
    else:
        assert check(comments["230002"])
    assert result.state["seen"]  # the crawl's memory is saved: the next crawl does not start over


def test_json_nested_too_deep_to_parse_is_one_counted_page_error_not_a_crash(serve, runner):
    site = serve("bilibili")
    site.route(BILI_PAGE, Reply(body=b'{"code": 0, "data": ' + b"[" * DEEP + b"]" * DEEP + b"}",
                                content_type="application/json"))
    result = runner.crawl(make_source("video", "comments", {"preset": "bilibili", "base_url": site.url,
                                                            "targets": [170001]}))
    assert result.errors == 1 and result.mentions == [] and result.pages == 0


FORUM = {"thread_links": "a.t::attr(href)", "post": "div.post", "post_id": "::attr(data-pid)",
         "author": ".author::text", "time": ".time::text", "text": ".content"}


def forum_page(middle: str) -> bytes:
    post = '<div class="post" data-pid="{pid}"><span class="author">{pid}号</span><span class="time">' \
           '2025-11-20 10:00</span><div class="content">{text}</div></div>'
    return ("<html><body>" + post.format(pid=1, text="星河手机不错") + middle
            + post.format(pid=3, text="星河客服回复了") + "</body></html>").encode("utf-8")


HTML_CASES = [
    ("10,000-deep nesting", '<div class="post" data-pid="2"><div class="content">' + "<div>" * 10_000 + "深"
     + "</div>" * 10_000 + "</div></div>", {"time_unknown": 1}),
    ("future date", '<div class="post" data-pid="2"><span class="time">2286-11-20 10:00</span>'
     '<div class="content">穿越</div></div>', {"time_unknown": 1}),
    ("count-free garbage", '<div class="post" data-pid="2"><div class="content">\x1b]0;pwned\x07标题</div></div>',
     {"cleaned": 1, "time_unknown": 1}),
]


@pytest.mark.parametrize(("case", "middle", "reported"), HTML_CASES, ids=[c[0] for c in HTML_CASES])
def test_a_poisoned_forum_post_does_not_take_its_siblings_with_it(serve, runner, case, middle, reported):
    site = serve("failures")
    site.route("/list", Reply(body=b'<a class="t" href="/t/1">t</a>'))
    site.route("/t/1", Reply(body=forum_page(middle)))
    result = runner.crawl(make_source("bbs", "forum", FORUM, start_urls=[f"{site.url}/list"]), now=NOW)
    posts = by_native_id(result)
    assert result.errors == 0 and {"1", "3"} <= set(posts) and result.skipped == reported


def test_a_javascript_link_in_a_feed_is_not_stored_as_the_mention_url(serve, runner):
    site = serve("feeds")
    rss = ('<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
           '<item><title>好</title><link>https://news.example/1</link><pubDate>Thu, 20 Nov 2025 10:00:00 +0800</pubDate></item>'
           '<item><title>坏</title><link>javascript:alert(document.cookie)</link><pubDate>Thu, 20 Nov 2025 11:00:00 +0800</pubDate></item>'
           '<item><title>未来</title><link>https://news.example/3</link><pubDate>Sat, 01 Jan 2099 00:00:00 +0000</pubDate></item>'
           "</channel></rss>")
    site.route("/rss", Reply(body=rss.encode(), content_type="application/rss+xml"))
    result = runner.crawl(make_source("news", "feed", {}, start_urls=[f"{site.url}/rss"]), now=NOW)
    by_title = {m.title: m for m in result.mentions}
    assert by_title["坏"].url == f"{site.url}/rss" and by_title["好"].url == "https://news.example/1"
    assert by_title["未来"].time_unknown and result.skipped == {"invalid": 1, "time_unknown": 1}


WEIBO_CASES = [
    ("user a list", {"user": []}),
    ("text a number", {"text": 5}),
    ("counts objects", {"attitudes_count": {"n": 1}, "comments_count": [1]}),
    ("created_at a list", {"created_at": ["Sat"]}),
    ("retweeted_status a string", {"retweeted_status": "gone"}),
]


@pytest.mark.parametrize(("case", "poison"), WEIBO_CASES, ids=[c[0] for c in WEIBO_CASES])
def test_wrong_json_types_in_one_weibo_post_leave_the_others_whole(serve, runner, case, poison):
    site = serve("weibo")
    blogs = [{"id": str(n), "text": f"星河 {n}", "created_at": "Thu Nov 20 10:00:00 +0800 2025",
              "user": {"id": n, "screen_name": f"u{n}"}, "attitudes_count": 1} for n in (1, 2, 3)]
    blogs[1].update(poison)
    body = json.dumps({"ok": 1, "data": {"cards": [{"card_type": 9, "mblog": b} for b in blogs]}})
    site.route("/api/container/getIndex", Reply(body=body.encode(), content_type="application/json"))
    result = runner.crawl(make_source("wb", "weibo", {"base_url": site.url, "users": ["1"], "max_pages": 1,
                                                      "comments": False}), now=NOW)
    posts = by_native_id(result)
    assert result.errors == 0 and {"1", "3"} <= set(posts)
    assert "2" in posts or sum(result.skipped.values()) >= 1
