"""RSS 2.0 and Atom: every entry a post; a second crawl sends only entries not seen before."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.crawl.conftest import by_native_id, make_source
from tests.crawl.fixture_site import FixtureSite


@pytest.fixture
def site():
    with FixtureSite("feeds") as s:
        s.file("/feed/", "rss.xml", content_type="application/rss+xml")
        s.file("/atom.xml", "atom.xml", content_type="application/atom+xml")
        yield s


def feeds(site: FixtureSite):
    return make_source("tech-feeds", "feed", start_urls=[f"{site.url}/feed/", f"{site.url}/atom.xml"])


def test_rss_items_and_atom_entries_become_posts_with_plain_text(site, runner):
    result = runner.crawl(feeds(site))
    entries = by_native_id(result)
    assert len(entries) == 5 and result.errors == 0
    rss = entries[f"{site.url}/?p=330"]
    assert rss.text == "星河手机今日发布说明，称已成立专项小组排查 X5 充电异常，并承诺免费检测。"  # content:encoded
    assert rss.author.name == "编辑部" and rss.published_at == datetime(2025, 11, 22, 2, 0, tzinfo=timezone.utc)
    atom = entries["tag:xinghe-watch.example,2025:/posts/x5-timeline"]
    assert atom.url == f"{site.url}/posts/x5-timeline/" and atom.title == "星河X5 电池门时间线"
    assert atom.published_at == datetime(2025, 11, 22, 2, 0, tzinfo=timezone.utc)


def test_a_second_crawl_sends_nothing_and_a_new_item_is_exactly_one_new_mention(site, runner):
    first = runner.crawl(feeds(site))
    assert runner.crawl(feeds(site), state=first.state).mentions == []
    site.file("/feed/", "rss-new-item.xml", content_type="application/rss+xml")
    third = runner.crawl(feeds(site), state=first.state)
    assert [m.title for m in third.mentions] == ["星河宣布X5 用户可免费换电池"] and third.new == 1
