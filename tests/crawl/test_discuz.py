"""The Discuz! X3 preset against a GBK board: list pages → threads → floors, then incremental crawls."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.crawl.conftest import by_native_id, forum_source, make_source
from tests.crawl.fixture_site import FixtureSite

GBK = {"encode_as": "gbk", "charset": "gbk"}
ALL_POSTS = {"1000", "1001", "1002", "1004", "1005", "1101", "1102", "1201"}  # 1003 is shielded by moderators


BOARD = {
    "/forum.php?mod=forumdisplay&fid=2": "forumdisplay-2.html",
    "/forum.php?mod=forumdisplay&fid=2&page=2": "forumdisplay-2-page2.html",
    **{f"/forum.php?mod=viewthread&tid={tid}": f"viewthread-{tid}.html" for tid in (100, 101, 102, 103)},
    "/forum.php?mod=viewthread&tid=101&page=2": "viewthread-101-p2.html",
}


def serve_board(site: FixtureSite, **encoding) -> FixtureSite:
    return site.files(BOARD, **encoding)


@pytest.fixture
def site(serve):
    return serve("discuz", BOARD, **GBK)


def discuz(site: FixtureSite):
    return forum_source("xinghe-bbs", "discuz", site, [2])


def test_every_post_of_the_board_is_extracted_with_text_author_time_and_url(site, runner):
    result = runner.crawl(discuz(site))
    posts = by_native_id(result)
    assert set(posts) == ALL_POSTS
    assert result.errors == 0 and result.blocked is None
    first = posts["1001"]
    assert first.content_type == "post" and first.title == "星河手机X5充电时突然冒烟，售后说是人为损坏？"
    assert first.author.name == "受害者小陈" and first.author.id == "2051"
    assert first.published_at == datetime(2025, 11, 20, 2, 30, tzinfo=timezone.utc)  # 10:30 in Shanghai
    assert first.url == f"{site.url}/forum.php?mod=redirect&goto=findpost&ptid=101&pid=1001"
    assert "突然冒烟" in first.text and "[怒]" in first.text
    assert "本帖最后由" not in first.text and "smoke.jpg" not in first.text  # edit note and attachment name left out
    reply = posts["1002"]
    assert reply.content_type == "reply" and reply.parent_id == first.thread_id
    assert reply.text == "我的星河X5也有点发烫，楼主要不要找12315投诉？"  # the quoted post is not repeated
    assert reply.published_at == datetime(2025, 11, 20, 3, 2, tzinfo=timezone.utc)  # "3 天前" with a title


def test_the_second_page_of_a_thread_and_of_the_board_are_followed(site, runner):
    posts = by_native_id(runner.crawl(discuz(site)))
    assert {"1004", "1005"} <= set(posts)  # thread 101, page 2
    assert "1201" in posts  # board page 2
    assert posts["1005"].thread_id == posts["1001"].thread_id


def test_a_shielded_post_is_skipped_without_counting_an_error(site, runner):
    result = runner.crawl(discuz(site))
    assert "1003" not in by_native_id(result) and result.errors == 0


@pytest.mark.parametrize("declared", [{"charset": "gbk"}, {"charset": None}], ids=["in-header", "meta-only"])
def test_gbk_pages_are_decoded_whether_the_header_declares_the_charset_or_only_the_meta_tag(declared, runner):
    with FixtureSite("discuz") as site:
        serve_board(site, encode_as="gbk", **declared)
        posts = by_native_id(runner.crawl(discuz(site)))
    assert posts["1001"].author.name == "受害者小陈"


def test_a_gbk_board_behind_a_proxy_that_labels_everything_utf8_is_still_read_right(runner):
    with FixtureSite("discuz") as site:
        serve_board(site, encode_as="gbk", charset="utf-8")
        posts = by_native_id(runner.crawl(discuz(site)))
    assert posts["1001"].text.startswith("买了三个月的星河手机X5")


def test_a_second_crawl_of_an_unchanged_board_finds_nothing_new_and_reads_only_the_list(site, runner):
    first = runner.crawl(discuz(site))
    site.hits.clear()
    second = runner.crawl(discuz(site), state=first.state)
    assert second.new == 0 and second.mentions == []
    assert site.hits_of("/forum.php?mod=viewthread") == 0
    assert site.hits_of("/forum.php?mod=forumdisplay") == 1  # page 2 of the list is not read: nothing changed


def test_one_new_reply_is_found_as_exactly_one_new_mention_by_reading_only_the_last_page(site, runner):
    first = runner.crawl(discuz(site))
    site.files({"/forum.php?mod=forumdisplay&fid=2": "forumdisplay-2-new-reply.html",
                "/forum.php?mod=viewthread&tid=101&page=2": "viewthread-101-p2-new-reply.html"}, **GBK)
    site.hits.clear()
    second = runner.crawl(discuz(site), state=first.state)
    assert [m.native_id for m in second.mentions] == ["1006"] and second.new == 1
    assert second.mentions[0].content_type == "reply"
    assert site.hits_of("/forum.php?mod=viewthread") == 1  # thread 101, page 2 only


def test_a_selector_overridden_in_the_source_wins_over_the_preset(site, runner):
    source = make_source("xinghe-bbs", "forum", {"preset": "discuz", "base_url": site.url, "boards": [2],
                                                "author": "xpath:.//em[starts-with(@id, 'authorposton')]/@id"})
    posts = by_native_id(runner.crawl(source))
    assert posts["1001"].author.name == "authorposton1001"


def test_a_known_thread_that_fell_off_the_list_is_still_rechecked_when_its_time_comes(site, runner):
    now = datetime(2025, 11, 23, 2, 0, tzinfo=timezone.utc)
    first = runner.crawl(discuz(site), now=now)
    site.file("/forum.php?mod=forumdisplay&fid=2", "forumdisplay-2-page2.html", **GBK)  # only thread 103 listed
    site.hits.clear()
    early = runner.crawl(discuz(site), state=first.state, now=now + timedelta(minutes=5))
    assert early.mentions == [] and site.hits_of("/forum.php?mod=viewthread") == 0
    runner.crawl(discuz(site), state=early.state, now=now + timedelta(minutes=10))
    assert site.hits["/forum.php?mod=viewthread&tid=102&extra=page%3D1"] == 1
    assert site.hits["/forum.php?mod=viewthread&tid=101&extra=page%3D1&page=2"] == 1  # where its last walk ended


def test_the_lists_reply_and_view_counts_are_kept_on_the_threads_first_post(site, runner):
    posts = by_native_id(runner.crawl(discuz(site)))
    assert (posts["1000"].engagement.comments, posts["1000"].engagement.views) == (0, 5821)
    assert posts["1002"].engagement.views is None  # replies have no views of their own
