"""What breaks crawls in the wild — rate limits, server errors, slow pages, login and captcha walls, broken
markup, truncated JSON — is logged, counted and survived; a site that refuses us stops the crawl."""

from __future__ import annotations

import time

import pytest

from tests.crawl.conftest import JSON, by_native_id, make_source
from tests.crawl.fixture_site import FixtureSite, Reply
from tests.crawl.test_discuz import GBK, discuz, serve_board

LIST = "/forum.php?mod=forumdisplay&fid=2"


@pytest.fixture
def site():
    with FixtureSite("discuz") as s:
        serve_board(s, **GBK)
        yield s


def page(site: FixtureSite, name: str) -> bytes:
    return (site.folder / name).read_text(encoding="utf-8").replace("@@HOST@@", site.host).encode("gbk")


def failures_page(name: str) -> bytes:
    return (FixtureSite("failures").folder / name).read_bytes()


def test_a_429_is_waited_out_and_the_page_is_read_on_the_retry(site, runner):
    ok = Reply(body=page(site, "forumdisplay-2.html"), content_type="text/html; charset=gbk")
    site.route(LIST, Reply(status=429, headers={"Retry-After": "0"}), ok)
    result = runner.crawl(discuz(site))
    assert len(result.mentions) == 8 and result.errors == 0 and result.blocked is None
    assert site.hits[LIST] == 2


def test_a_site_that_keeps_answering_429_marks_the_source_blocked(site, runner):
    site.route(LIST, Reply(status=429))
    result = runner.crawl(discuz(site))
    assert result.blocked == "rate limited (HTTP 429)" and result.mentions == []


def test_a_thread_that_answers_500_is_counted_the_others_are_read_and_it_is_retried_next_crawl(site, runner):
    site.route("/forum.php?mod=viewthread&tid=102", Reply(status=500))
    first = runner.crawl(discuz(site))
    assert first.errors == 1 and first.blocked is None
    assert not {"1101", "1102"} & set(by_native_id(first)) and "1001" in by_native_id(first)
    assert site.hits["/forum.php?mod=viewthread&tid=102&extra=page%3D1"] == 2  # retried once within the crawl
    site.file("/forum.php?mod=viewthread&tid=102", "viewthread-102.html", **GBK)
    second = runner.crawl(discuz(site), state=first.state)
    assert {m.native_id for m in second.mentions} == {"1101", "1102"}


def test_a_page_slower_than_the_timeout_is_given_up_without_holding_the_crawl(site, runner):
    site.route("/forum.php?mod=viewthread&tid=103", Reply(body=page(site, "viewthread-103.html"), delay=3,
                                                          content_type="text/html; charset=gbk"))
    started = time.monotonic()
    result = runner.crawl(discuz(site))
    assert result.errors == 1 and "1201" not in by_native_id(result) and len(result.mentions) == 7
    assert time.monotonic() - started < 5


def test_a_redirect_to_the_login_page_marks_the_source_blocked_and_stops_the_crawl(site, runner):
    site.route(LIST, Reply(status=302, headers={"Location": "/member.php?mod=logging&action=login&referer=x"}))
    site.route("/member.php?mod=logging&action=login", Reply(body=failures_page("discuz-login.html")))
    result = runner.crawl(discuz(site))
    assert result.blocked.startswith("redirected to a login page") and result.mentions == []


def test_a_captcha_page_in_place_of_a_thread_list_marks_the_source_blocked(site, runner):
    site.route(LIST, Reply(body=failures_page("baidu-captcha.html")))
    result = runner.crawl(discuz(site))
    assert result.blocked == "a captcha page" and result.mentions == []
    assert site.hits_of("/forum.php?mod=viewthread") == 0


def test_a_403_stops_the_crawl_at_once(site, runner):
    site.route("/forum.php?mod=viewthread&tid=101", Reply(status=403))
    result = runner.crawl(discuz(site))
    assert result.blocked == "forbidden (HTTP 403)" and result.errors >= 1


def test_a_list_page_without_threads_is_an_error_not_a_block(site, runner):
    site.route(LIST, Reply(body="<html><body><p>星河社区 改版中</p></body></html>".encode()))
    result = runner.crawl(discuz(site))
    assert result.errors == 1 and result.blocked is None


def test_malformed_html_gives_what_can_be_read_and_the_crawl_goes_on(site, runner):
    site.route("/forum.php?mod=viewthread&tid=102", Reply(body=page(site, "viewthread-102-malformed.html"),
                                                          content_type="text/html; charset=gbk"))
    posts = by_native_id(runner.crawl(discuz(site)))
    assert "1101" in posts and {"1001", "1201"} <= set(posts)


def test_truncated_json_is_counted_and_the_pages_before_it_are_kept(runner):
    with FixtureSite("bilibili") as site:
        site.file("/x/v2/reply/main?type=1&oid=170001&mode=2&next=0", "reply-main-next-0.json", **JSON)
        site.file("/x/v2/reply/main?type=1&oid=170001&mode=2&next=2", "reply-main-next-2-truncated.json", **JSON)
        result = runner.crawl(make_source("v", "comments", {"preset": "bilibili", "base_url": site.url,
                                                            "targets": [170001]}))
    assert result.errors == 1 and len(result.mentions) == 5 and result.blocked is None


def test_an_api_answering_with_its_block_code_marks_the_source_blocked(runner):
    with FixtureSite("bilibili") as site:
        site.file("/x/v2/reply/main?type=1&oid=170001&mode=2&next=0", "blocked-412.json", **JSON)
        result = runner.crawl(make_source("v", "comments", {"preset": "bilibili", "base_url": site.url,
                                                            "targets": [170001]}))
    assert result.blocked == "the API answered with its block code"


def test_robots_txt_is_obeyed_unless_the_source_says_otherwise(site, runner):
    site.robots("User-agent: *\nDisallow: /forum.php\n")
    assert runner.crawl(discuz(site)).mentions == []
    source = make_source("xinghe-bbs", "forum", {"preset": "discuz", "base_url": site.url, "boards": [2]},
                         obey_robots=False)
    assert len(runner.crawl(source).mentions) == 8


def test_headers_and_cookies_from_the_config_are_sent_and_requests_go_through_the_proxy(site, runner):
    with FixtureSite("discuz") as proxy:
        serve_board(proxy, **GBK)
        source = make_source("xinghe-bbs", "forum", {"preset": "discuz", "base_url": site.url, "boards": [2]},
                             headers={"Referer": "https://bbs.example.com/"}, cookies="auth=s3cr3t; lang=zh",
                             proxies=[proxy.url], obey_robots=False)
        result = runner.crawl(source)
    assert len(result.mentions) == 8
    assert proxy.proxied == len(proxy.headers) > 0 and sum(site.hits.values()) == 0
    sent = proxy.headers[0]
    assert sent["referer"] == "https://bbs.example.com/" and "auth=s3cr3t" in sent["cookie"]
