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
