"""The phpBB 3.x preset (prosilver): viewforum → viewtopic, pagination by start=, quotes left out."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.crawl.conftest import by_native_id, forum_source
from tests.crawl.fixture_site import FixtureSite


BOARD = {
    "/viewforum.php?f=2": "viewforum-2.html",
    "/viewforum.php?f=2&start=25": "viewforum-2-start-25.html",
    "/viewtopic.php?t=42": "viewtopic-42.html",
    "/viewtopic.php?t=42&start=10": "viewtopic-42-start-10.html",
    "/viewtopic.php?t=43": "viewtopic-43.html",
    "/viewtopic.php?t=44": "viewtopic-44.html",
}


@pytest.fixture
def site(serve):
    return serve("phpbb", BOARD)


def phpbb(site: FixtureSite):
    return forum_source("xinghe-phpbb", "phpbb", site, [2])


def test_every_post_of_every_topic_page_is_extracted(site, runner):
    result = runner.crawl(phpbb(site))
    posts = by_native_id(result)
    assert set(posts) == {str(n) for n in range(128, 139)} | {"200", "90"}
    assert result.errors == 0
    first = posts["128"]
    assert (first.content_type, first.author.name, first.author.id) == ("post", "alice_sz", "52")
    assert first.title == "星河X5 系统更新后信号变差，大家有遇到吗？"
    assert first.published_at == datetime(2025, 11, 21, 0, 10, tzinfo=timezone.utc)
    assert first.url == f"{site.url}/viewtopic.php?p=128#p128"
    assert posts["138"].published_at == datetime(2025, 11, 22, 0, 14, tzinfo=timezone.utc)  # page 2 of the topic


def test_a_moderators_coloured_name_and_a_quoting_reply_are_read_right(site, runner):
    posts = by_native_id(runner.crawl(phpbb(site)))
    assert posts["130"].author.name == "星河社区管理员"
    assert posts["129"].text == "同样的问题，已经给星河客服发邮件了。"


def test_a_new_reply_on_the_last_page_is_exactly_one_new_mention(site, runner):
    first = runner.crawl(phpbb(site))
    site.files({"/viewforum.php?f=2": "viewforum-2-new-reply.html",
                "/viewtopic.php?t=42&start=10": "viewtopic-42-start-10-new-reply.html"})
    site.hits.clear()
    second = runner.crawl(phpbb(site), state=first.state)
    assert [m.native_id for m in second.mentions] == ["139"] and second.new == 1
    assert site.hits_of("/viewtopic.php") == 1  # the page the last crawl ended on, not page 1


@pytest.mark.parametrize(("post", "author", "posted"), [
    ("301", "nightowl", datetime(2018, 6, 8, 9, 53, tzinfo=timezone.utc)),  # phpBB 3.2: date after the </span>
    ("305", "tinker", datetime(2018, 6, 9, 22, 2, tzinfo=timezone.utc)),
    ("12", "admin", datetime(2008, 3, 22, 20, 17, tzinfo=timezone.utc)),  # phpBB 3.0: "» Sat Mar 22, 2008 8:17 pm"
])
def test_phpbb_3_0_and_3_2_dates_printed_as_text_are_read_not_replaced_by_the_crawl_time(serve, runner, post, author,
                                                                                         posted):
    site = serve("phpbb", {"/viewforum.php?f=3": "viewforum-3.html", "/viewtopic.php?t=45": "viewtopic-45.html",
                           "/viewtopic.php?t=46": "viewtopic-46.html"})
    result = runner.crawl(forum_source("xinghe-en", "phpbb", site, [3], timezone="UTC"))
    posts = by_native_id(result)
    assert set(posts) == {"301", "305", "12"} and result.skipped == {}
    assert (posts[post].author.name, posts[post].published_at, posts[post].time_unknown) == (author, posted, False)


def test_code_block_headers_are_left_out_of_the_post_text(serve, runner):
    site = serve("phpbb", {"/viewforum.php?f=3": "viewforum-3.html", "/viewtopic.php?t=45": "viewtopic-45.html",
                           "/viewtopic.php?t=46": "viewtopic-46.html"})
    posts = by_native_id(runner.crawl(forum_source("xinghe-en", "phpbb", site, [3])))
    assert posts["301"].text == "My Xinghe X5 loses 40% overnight. The log says:\nwakelock: modem_ril held 6h\nAnyone else?"
    assert posts["12"].text == "The Xinghe X1 screen flickers at low brightness.\nbrightness=3"
