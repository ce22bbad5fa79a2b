"""The real spiders, run by the in-process runner, against the demo site on loopback."""

from __future__ import annotations

import pytest

from monitor.config import load_settings
from monitor.demo.content import BURST_THREAD, FEED_ITEMS, FORUM_THREADS, NEWS_ARTICLES
from monitor.demo.mailbox import Mailbox
from monitor.demo.run import write_config
from monitor.demo.site import DemoSite


@pytest.fixture(scope="module")
def site():
    demo = DemoSite().start()
    yield demo
    demo.stop()


@pytest.fixture(scope="module")
def sources(site, tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    mailbox = Mailbox(folder / "mail")  # only for its URL; never started
    settings = load_settings(write_config(folder, site, mailbox, None))
    return {s.name: s for s in settings.config.sources}


def test_the_forum_spider_follows_list_and_thread_pagination(site, sources, runner):
    site.burst = True
    try:
        result = runner.crawl(sources["demo-forum"])
    finally:
        site.burst = False
    expected = sum(len(t.posts) for t in FORUM_THREADS) + len(BURST_THREAD.posts)
    assert len(result.mentions) == expected
    assert result.errors == 0
    first = next(m for m in result.mentions if m.native_id == "109-1")
    assert first.content_type == "post" and first.title == BURST_THREAD.title
    assert first.author.name == "受害者小陈"
    assert first.published_at == site.published(9).replace(second=0, microsecond=0)
    last = next(m for m in result.mentions if m.native_id == "109-12")
    assert last.content_type == "reply" and last.parent_id == first.thread_id


def test_comment_sections_are_crawled_as_comments(sources, runner):
    result = runner.crawl(sources["demo-news"])
    assert len(result.mentions) == sum(len(a.posts) for a in NEWS_ARTICLES)
    assert {m.content_type for m in result.mentions} == {"comment"}


def test_the_feed_spider_reads_rss_items(site, sources, runner):
    result = runner.crawl(sources["demo-feed"])
    assert sorted(m.native_id for m in result.mentions) == sorted(f"feed-{t.id}" for t in FEED_ITEMS)
    assert all(m.published_at.tzinfo for m in result.mentions)


def test_a_dead_site_is_counted_not_raised(sources, runner):
    dead = sources["demo-feed"].model_copy(update={"start_urls": ("http://127.0.0.1:9/feed.xml",)})
    result = runner.crawl(dead)
    assert result.mentions == [] and result.errors >= 1


def test_the_same_runner_crawls_again_and_again(sources, runner):
    counts = {len(runner.crawl(sources["demo-feed"]).mentions) for _ in range(3)}
    assert counts == {len(FEED_ITEMS)}  # no state passed: every crawl is a first crawl
