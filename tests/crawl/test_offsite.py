"""Where requests go: a source's requests and redirects stay on its own hosts, private and local addresses
only when its config opens them; oversized pages and redirect loops are errors, not successes.

Only loopback is ever contacted: 127.0.0.1 is the forum, a second listener on 127.0.0.2 plays the foreign
(and, for the address check, private) host. The test runner allows 127.0.0.1/32 only.
"""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta, timezone

import pytest

from monitor.crawl.health import CrawlHealth, record_crawl
from tests.crawl.conftest import forum_source
from tests.crawl.fixture_site import FixtureSite, Reply
from tests.crawl.test_discuz import GBK, serve_board

LIST = "/forum.php?mod=forumdisplay&fid=2"
THREAD = "/forum.php?mod=viewthread&tid=101"


@pytest.fixture
def forum():
    with FixtureSite("discuz") as s:
        serve_board(s, **GBK)
        yield s


@pytest.fixture
def foreign():
    with FixtureSite("discuz", host="127.0.0.2") as s:
        s.route(THREAD, Reply(status=403, body=b"forbidden"))  # would mark the forum blocked if it were fetched
        yield s


def redirect(site: FixtureSite, target: str, to: str) -> None:
    site.route(target, Reply(status=302, headers={"Location": to}))


@pytest.mark.parametrize("fields", [
    {},  # another host: not the source's
    {"allowed_hosts": ["127.0.0.2"]},  # its host allowed, but its address is private and not opened
])
def test_a_redirect_to_a_foreign_or_private_host_is_refused_and_counted_not_fetched(forum, foreign, runner, fields):
    redirect(forum, THREAD, f"{foreign.url}{THREAD}")
    result = runner.crawl(forum_source("xinghe-bbs", "discuz", forum, [2], **fields))
    assert sum(foreign.hits.values()) == 0  # not even robots.txt
    assert result.blocked is None and result.skipped["refused"] == 1 and result.errors == 1
    assert {m.native_id for m in result.mentions} == {"1000", "1101", "1102", "1201"}  # the other threads' posts


def test_a_host_and_network_the_source_opens_are_followed(forum, foreign, runner):
    redirect(forum, THREAD, f"{foreign.url}{THREAD}")
    source = forum_source("xinghe-bbs", "discuz", forum, [2], allowed_hosts=["127.0.0.2"],
                          allow_networks=["127.0.0.2/32"])
    result = runner.crawl(source)
    assert foreign.hits[THREAD] == 1 and result.blocked == "forbidden (HTTP 403)"


def test_a_source_on_a_private_address_is_refused_unless_its_config_opens_it(foreign, runner):
    foreign.file(LIST, "forumdisplay-2.html", **GBK)
    refused = runner.crawl(forum_source("intranet", "discuz", foreign, [2]))
    assert sum(foreign.hits.values()) == 0 and refused.pages == 0 and refused.skipped == {"refused": 1}
    opened = runner.crawl(forum_source("intranet", "discuz", foreign, [2], allow_networks=["127.0.0.2/32"]))
    assert foreign.hits[LIST] == 1 and opened.pages >= 1


def test_a_redirect_loop_is_an_error_and_no_success(forum, runner):
    redirect(forum, LIST, f"{forum.url}/loop-a")
    redirect(forum, "/loop-a", f"{forum.url}/loop-b")
    redirect(forum, "/loop-b", f"{forum.url}/loop-a")
    result = runner.crawl(forum_source("xinghe-bbs", "discuz", forum, [2]))
    assert result.errors == 1 and result.pages == 0
    now = datetime(2026, 11, 23, tzinfo=timezone.utc)
    health = record_crawl(CrawlHealth("xinghe-bbs"), result, now, timedelta(minutes=10))
    assert health.last_success is None and health.status == "failing"


def test_a_gzip_bomb_is_dropped_as_an_error_at_the_download_limit(forum, runner):
    bomb = gzip.compress(b"<html>" + b" " * (20 * 1024 * 1024) + b"</html>", compresslevel=9)
    forum.route(THREAD, Reply(body=bomb, content_type="text/html; charset=gbk", headers={"Content-Encoding": "gzip"}))
    result = runner.crawl(forum_source("xinghe-bbs", "discuz", forum, [2]))
    assert len(bomb) < 100_000 and result.errors == 1
    assert {m.native_id for m in result.mentions} == {"1000", "1101", "1102", "1201"}  # thread 101 alone is lost


def test_an_empty_or_garbage_list_page_records_no_success(forum, runner):
    forum.route(LIST, Reply(body=b"\x89PNG\r\n\x1a\n garbage", content_type="text/html"))
    result = runner.crawl(forum_source("xinghe-bbs", "discuz", forum, [2]))
    now = datetime(2026, 11, 23, tzinfo=timezone.utc)
    health = record_crawl(CrawlHealth("xinghe-bbs"), result, now, timedelta(minutes=10))
    assert result.pages == 0 and result.errors == 1 and health.last_success is None
