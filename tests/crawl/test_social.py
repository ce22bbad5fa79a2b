"""Social and complaint platforms (spiders/social.py) on real saved API answers, served byte for byte from
a loopback server: Douyin creators' posts and a Xiaohongshu note list (tests/fixtures/real/PROVENANCE.tsv).

Neither saved answer carries a post time (Douyin's 2020 aweme/post pages have no create_time, the
Xiaohongshu note list none at all): those posts are flagged time_unknown at the crawl's time, never dated.
"""

from __future__ import annotations

import csv
import hashlib
from datetime import datetime, timezone

from tests.crawl.conftest import by_native_id, make_source
from tests.crawl.fixture_site import REAL

NOW = datetime(2020, 6, 18, 12, 0, tzinfo=timezone.utc)
XIAOCAI = "MS4wLjABAAAAAI3oSIRdM9cE-AflbGPjaw_xUg6xajgGJtM_yX4hkCY"
LX = "MS4wLjABAAAAOCNkaYVIwWH8z7H6EnpmDCbhVil-7uhlFAQPPxXiLmw"
XHS_USER = "5a177936e8ac2b535e9441b3"


def test_every_saved_platform_answer_is_listed_in_the_provenance_file_with_its_checksum():
    with open(REAL / "PROVENANCE.tsv", encoding="utf-8", newline="") as f:
        listed = {row["file"]: row for row in csv.DictReader(f, delimiter="\t")}
    for folder in ("douyin", "xiaohongshu"):
        for path in (REAL / folder).iterdir():
            row = listed[f"{folder}/{path.name}"]
            assert hashlib.sha256(path.read_bytes()).hexdigest() == row["sha256"]
            assert len(row["commit"]) == 40 and "/" in row["repo"]


def douyin(site, creators, **options):
    return make_source("douyin-watch", "social", {"preset": "douyin", "base_url": site.url, "creators": creators,
                                                  **options}, platform="douyin", allow_networks=["127.0.0.1/32"])


def test_douyin_creator_pages_give_every_video_with_author_followers_and_engagement(serve, runner):
    site = serve("douyin")
    site.real(f"/aweme/v1/web/aweme/post/?sec_user_id={XIAOCAI}&max_cursor=0", "douyin/aweme_post_page1.json")
    site.real(f"/aweme/v1/web/aweme/post/?sec_user_id={LX}&max_cursor=0", "douyin/aweme_post_page2.json")
    result = runner.crawl(douyin(site, [XIAOCAI, LX], max_thread_pages=1), now=NOW)
    posts = by_native_id(result)
    assert len(result.mentions) == 66 and len(posts) == 66  # 25 + 41 videos, none without a caption
    first = posts["6839298761143930116"]
    assert first.text.startswith("这份工作让我走出了抑郁症#美团外卖小姐姐")
    assert (first.content_type, first.parent_id) == ("post", None)
    assert (first.author.name, first.author.id, first.author.followers) == ("小蔡\ue04a", "52895175925", 344496)  # a private-use emoji, as saved
    assert (first.engagement.likes, first.engagement.comments, first.engagement.reposts) == (4517, 479, 27)
    assert first.url == "https://www.douyin.com/video/6839298761143930116"
    last = posts["6815512416311315715"]
    assert (last.author.name, last.author.id, last.author.followers) == ("Lx", "61431549002", 56822)  # each video carries its own snapshot of the count
    assert (last.engagement.likes, last.engagement.comments) == (74, 10)
    assert all(m.time_unknown and m.published_at == NOW for m in result.mentions)


def test_douyin_reads_the_next_creator_page_by_max_cursor_until_the_page_limit(serve, runner):
    site = serve("douyin")
    site.real(f"/aweme/v1/web/aweme/post/?sec_user_id={XIAOCAI}&max_cursor=0", "douyin/aweme_post_page1.json")
    site.real(f"/aweme/v1/web/aweme/post/?sec_user_id={XIAOCAI}&max_cursor=1589725669000",
              "douyin/aweme_post_page2.json")
    result = runner.crawl(douyin(site, [XIAOCAI], max_thread_pages=2), now=NOW)
    assert len(by_native_id(result)) == 66
    assert site.hits_of("/aweme/v1/web/aweme/post/") == 2


def test_xiaohongshu_note_list_gives_each_note_with_its_author_and_likes_as_printed(serve, runner):
    site = serve("xiaohongshu")
    site.real(f"/api/sns/web/v1/user_posted?user_id={XHS_USER}&cursor=", "xiaohongshu/web_v2_note_collect_page.json")
    source = make_source("xhs-watch", "social", {"preset": "xiaohongshu", "base_url": site.url,
                                                 "creators": [XHS_USER], "max_thread_pages": 1},
                         platform="xiaohongshu", allow_networks=["127.0.0.1/32"])
    result = runner.crawl(source, now=NOW)
    notes = by_native_id(result)
    assert list(notes) == ["6624e7e100000000010332f2", "65a5fb8c000000001200b58c", "66af4b910000000027012681",
                           "66e7b7ac000000000c01a323", "6549b070000000001d015e38", "6605765e0000000012031c3c",
                           "63492502000000000601cf48", "663e2a73000000001e037313", "655f0be2000000001701c4be",
                           "6708f28d000000001b0235de"]
    first = notes["6624e7e100000000010332f2"]
    assert first.text.startswith("自己在家生豆芽太有成就感了")
    assert (first.author.name, first.author.id, first.engagement.likes) == ("乡间老窝", "5b6ec24feefc5000015eee8d", 602)
    assert notes["655f0be2000000001701c4be"].engagement.likes == 97000  # printed "9.7万"
    assert first.url == "https://www.xiaohongshu.com/explore/6624e7e100000000010332f2"
    assert all(m.time_unknown for m in result.mentions)
