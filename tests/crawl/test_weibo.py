"""Weibo's mobile API: real-time search with card groups, user timelines, long texts and comments."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import quote

import pytest

from tests.crawl.conftest import JSON, by_native_id, make_source
from tests.crawl.fixture_site import FixtureSite

SEARCH = "/api/container/getIndex?containerid=" + quote("100103type=61&q=星河手机&t=0", safe="") + "&page="
TIMELINE = "/api/container/getIndex?containerid=1076037001001&page="
COMMENTS = "/comments/hotflow?id=5001000000000001&mid=5001000000000001"
LONG = "5001000000000001"
ORIGINAL = "5000900000000009"  # the official statement the second search result reposts


@pytest.fixture
def site():
    with FixtureSite("weibo") as s:
        s.file(SEARCH + "1", "search-page-1.json", **JSON)
        s.file(SEARCH + "2", "search-page-2.json", **JSON)
        s.file(TIMELINE + "1", "timeline-7001001.json", **JSON)
        s.file(TIMELINE + "2", "search-empty.json", **JSON)
        s.file(f"/statuses/extend?id={LONG}", f"extend-{LONG}.json", **JSON)
        s.file(COMMENTS, f"hotflow-{LONG}.json", **JSON)
        s.file(f"/comments/hotflow?id={ORIGINAL}&mid={ORIGINAL}", f"hotflow-{ORIGINAL}.json", **JSON)
        yield s


def weibo(site: FixtureSite, **options):
    return make_source("weibo-search", "weibo", {"base_url": site.url, "searches": ["星河手机"], **options},
                       platform="weibo")


def test_search_results_in_cards_and_card_groups_and_the_reposted_original_are_posts(site, runner):
    result = runner.crawl(weibo(site))
    posts = {m.native_id: m for m in result.mentions if m.content_type in ("post", "repost")}
    assert set(posts) == {"5001000000000001", "5001000000000002", "5001000000000003", "5000900000000009",
                          "5001000000000000"}
    assert result.errors == 0
    repost = posts["5001000000000002"]
    assert repost.content_type == "repost" and repost.text.startswith("转发微博")
    assert repost.parent_id == repost.thread_id == posts[ORIGINAL].id
    lee = posts[LONG]
    assert lee.author.name == "数码博主老李" and lee.author.followers == 1455000
    assert (lee.engagement.likes, lee.engagement.comments, lee.engagement.reposts) == (5321, 2, 1203)
    assert lee.ip_location == "广东"
    assert lee.published_at == datetime(2025, 11, 22, 2, 20, 30, tzinfo=timezone.utc)
    assert lee.url == f"{site.url}/detail/{LONG}"


def test_a_long_post_gets_its_whole_text_with_emoticons_and_without_markup(site, runner):
    lee = by_native_id(runner.crawl(weibo(site)))[LONG]
    assert lee.text.endswith("星河手机必须给所有X5用户一个说法！")
    assert "[怒]" in lee.text and "<" not in lee.text and "全文" not in lee.text


def test_comments_and_replies_to_comments_hang_under_their_post(site, runner):
    mentions = by_native_id(runner.crawl(weibo(site)))
    comment, reply = mentions["5001000000100001"], mentions["5001000000100002"]
    assert comment.content_type == "comment" and comment.parent_id == mentions[LONG].id
    assert comment.ip_location == "上海" and comment.engagement.likes == 88
    assert reply.content_type == "reply" and reply.parent_id == comment.id
    assert reply.text == "回复@路人丙:已私信，请提供订单号，我们安排复检"
    assert mentions["5000900000200001"].parent_id == mentions[ORIGINAL].id  # comments on the reposted original


def test_a_users_timeline_is_read_with_follower_counts_printed_as_wan(site, runner):
    source = make_source("weibo-users", "weibo", {"base_url": site.url, "users": [7001001], "comments": False})
    result = runner.crawl(source)
    assert {m.native_id for m in result.mentions} == {"5001000000000000", LONG}
    assert all(m.author.followers == 1455000 for m in result.mentions)
    assert result.errors == 0  # the empty second page says "no more", not "broken"


def test_a_second_crawl_finds_nothing_new_and_one_new_comment_is_exactly_one_new_mention(site, runner):
    first = runner.crawl(weibo(site))
    second = runner.crawl(weibo(site), state=first.state)
    assert second.new == 0 and second.mentions == []
    site.file(SEARCH + "1", "search-page-1-new-comment.json", **JSON)
    site.file(COMMENTS, f"hotflow-{LONG}-new-comment.json", **JSON)
    third = runner.crawl(weibo(site), state=second.state)
    assert third.new == 1 and "5001000000100003" in {m.native_id for m in third.mentions}
    assert {m.native_id for m in third.mentions} <= {"5001000000100003", LONG}  # the post itself: an update


def test_a_search_with_no_results_yet_is_not_an_error(runner):
    with FixtureSite("weibo") as site:
        site.file(SEARCH + "1", "search-empty.json", **JSON)
        result = runner.crawl(weibo(site))
    assert result.mentions == [] and result.errors == 0 and result.blocked is None


def test_weibos_visitor_wall_marks_the_source_blocked(runner):
    with FixtureSite("weibo") as site:
        site.file(SEARCH + "1", "visitor-required.json", **JSON)
        result = runner.crawl(weibo(site))
    assert result.blocked and result.mentions == []
