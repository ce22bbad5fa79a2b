"""Comment sections: a Bilibili-style reply API (cursor pages, nested replies) and a WordPress comment block."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.crawl.conftest import JSON, by_native_id, make_source
from tests.crawl.fixture_site import FixtureSite

NOW = datetime(2025, 11, 23, 2, 0, tzinfo=timezone.utc)
PAGE_1 = "/x/v2/reply/main?type=1&oid=170001&mode=2&next=0"
PAGE_2 = "/x/v2/reply/main?type=1&oid=170001&mode=2&next=2"


@pytest.fixture
def bilibili_site():
    with FixtureSite("bilibili") as s:
        s.file(PAGE_1, "reply-main-next-0.json", **JSON)
        s.file(PAGE_2, "reply-main-next-2.json", **JSON)
        yield s


def bilibili(site: FixtureSite):
    return make_source("xinghe-video", "comments", {"preset": "bilibili", "base_url": site.url,
                                                    "targets": [170001]}, platform="bilibili", interval="10m")


def test_replies_and_their_nested_replies_are_read_across_cursor_pages(bilibili_site, runner):
    result = runner.crawl(bilibili(bilibili_site), now=NOW)
    comments = by_native_id(result)
    assert set(comments) == {"230001", "230002", "230003", "230011", "230012", "229990"}
    root = comments["230001"]
    assert (root.content_type, root.author.name, root.author.id) == ("comment", "电池观察员", "5001")
    assert root.text == "星河X5 这次电池问题官方必须给个说法[doge]"
    assert root.engagement.likes == 120 and root.engagement.comments == 2
    assert root.ip_location == "广东"
    assert root.published_at == datetime.fromtimestamp(1763686000, timezone.utc)
    assert root.url == "https://www.bilibili.com/video/av170001#reply230001"
    nested = comments["230012"]
    assert nested.content_type == "reply" and nested.parent_id == root.id and nested.author.name == "星河官方账号"


def test_an_unchanged_section_is_not_fetched_again_before_its_recheck_time(bilibili_site, runner):
    first = runner.crawl(bilibili(bilibili_site), now=NOW)
    bilibili_site.hits.clear()
    second = runner.crawl(bilibili(bilibili_site), state=first.state, now=NOW + timedelta(minutes=1))
    assert second.mentions == [] and bilibili_site.hits_of("/x/") == 0


def test_a_new_comment_is_found_on_the_first_page_and_reading_stops_at_known_ones(bilibili_site, runner):
    first = runner.crawl(bilibili(bilibili_site), now=NOW)
    bilibili_site.file(PAGE_1, "reply-main-next-0-new-comment.json", **JSON)
    bilibili_site.hits.clear()
    second = runner.crawl(bilibili(bilibili_site), state=first.state, now=NOW + timedelta(minutes=10))
    assert [m.native_id for m in second.mentions] == ["230004"] and second.new == 1
    assert bilibili_site.hits_of("/x/") == 1


def test_a_changed_like_count_is_sent_again_as_an_update_of_the_same_mention(bilibili_site, runner):
    first = runner.crawl(bilibili(bilibili_site), now=NOW)
    bilibili_site.file(PAGE_1, "reply-main-next-0-more-likes.json", **JSON)
    second = runner.crawl(bilibili(bilibili_site), state=first.state, now=NOW + timedelta(minutes=10))
    assert [(m.native_id, m.engagement.likes) for m in second.mentions] == [("230001", 999)]
    assert (second.new, second.updated) == (0, 1)


def test_a_quiet_section_is_rechecked_less_and_less_often(bilibili_site, runner):
    state, checks = None, []
    for minute in range(0, 80, 10):
        bilibili_site.hits.clear()
        state = runner.crawl(bilibili(bilibili_site), state=state, now=NOW + timedelta(minutes=minute)).state
        checks.append(bilibili_site.hits_of("/x/") > 0)
    assert checks == [True, True, False, True, False, False, False, True]  # after 0, 10, 30, 70 minutes


@pytest.fixture
def blog_site():
    with FixtureSite("wordpress") as s:
        s.file("/2025/11/xinghe-x5-review/", "article-318.html")
        s.file("/2025/11/xinghe-x5-review/comment-page-2/", "article-318-comment-page-2.html")
        yield s


def test_an_articles_threaded_comment_block_is_read_with_parents_and_comment_pages(blog_site, runner):
    source = make_source("tech-blog", "comments", {"preset": "wordpress",
                                                   "targets": [f"{blog_site.url}/2025/11/xinghe-x5-review/"]})
    result = runner.crawl(source)
    comments = by_native_id(result)
    assert set(comments) == {"901", "902", "903", "904", "905"} and result.errors == 0
    assert comments["903"].parent_id == comments["901"].id and comments["904"].parent_id == comments["903"].id
    assert comments["902"].parent_id == comments["901"].thread_id
    assert comments["901"].author.name == "小周" and comments["904"].author.name == "阿明"
    assert comments["901"].published_at == datetime(2025, 11, 19, 2, 2, tzinfo=timezone.utc)
    assert comments["901"].text == "写得很详细！我的星河X5 打游戏半小时就烫手。"


def test_replies_past_the_three_shown_inline_are_read_from_their_own_pages(serve, runner):
    """The comment page is real (694724153); the two reply pages were written here from its inline replies
    plus the ones its rcount promises (no saved /x/v2/reply/reply answer was found)."""
    site = serve("bilibili")
    site.real("/x/v2/reply/main?oid=694724153", "bilibili/reply-main-694724153.json")
    for root in ("158893946816", "159165650560"):
        site.file(f"/x/v2/reply/reply?oid=694724153&root={root}&pn=1", f"reply-reply-{root}.json", **JSON)
    source = make_source("laptop-video", "comments", {"preset": "bilibili", "base_url": site.url,
                                                      "targets": ["694724153"], "max_thread_pages": 1})
    result = runner.crawl(source)
    comments = by_native_id(result)
    assert len(comments) == 38 and result.errors == 0  # 35 on the page, 3 more from the reply pages
    extra = comments["160425536281"]
    assert (extra.parent_id, extra.author.name, extra.content_type) == ("laptop-video:158893946816", "补充回复2",
                                                                        "reply")
    assert site.hits_of("/x/v2/reply/reply") == 2  # comments whose replies all showed inline are not asked for


def test_a_bv_id_target_is_read_as_its_numeric_aid(serve, runner):
    site = serve("bilibili")
    site.file(PAGE_1, "reply-main-next-0.json", **JSON)
    site.file(PAGE_2, "reply-main-next-2.json", **JSON)
    source = make_source("xinghe-video", "comments", {"preset": "bilibili", "base_url": site.url,
                                                      "targets": ["BV17x411w7KC"]}, platform="bilibili")
    result = runner.crawl(source, now=NOW)
    assert len(result.mentions) == 6 and site.hits_of("/x/v2/reply/main") == 2  # BV17x411w7KC is av170001
