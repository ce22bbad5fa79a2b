"""Social and complaint platforms (spiders/social.py) on real saved API answers, served byte for byte from
a loopback server (tests/fixtures/real/PROVENANCE.tsv): Douyin creators' posts, Xiaohongshu search, note
list, comments and replies, Zhihu search and a comment; 黑猫投诉 on a page written here (none found saved).

Every source here sets `delay: 0s`: the presets' polite pace (one request at a time, 5–10 s apart) is
checked on the crawler's settings instead of by waiting.

Neither the saved Douyin pages (2020, no create_time) nor the Xiaohongshu note list carry a post time:
those posts are flagged time_unknown at the crawl's time, never dated."""

from __future__ import annotations

import csv
import hashlib
from datetime import datetime, timezone

from tests.crawl.conftest import by_native_id
from tests.crawl.conftest import make_source as typed_source
from tests.crawl.fixture_site import REAL, Reply

NOW = datetime(2020, 6, 18, 12, 0, tzinfo=timezone.utc)


def make_source(name: str, spider_type: str, options: dict, **fields):
    """Saved answers replay what a signed, logged-in client was given: each source brings a session cookie
    of its own (the cookie pool is not asked) and no signer (signing has its own tests: test_signer.py)."""
    return typed_source(name, spider_type, {**options, "sign": None}, cookies={"web_session": "replayed"}, **fields)
XIAOCAI = "MS4wLjABAAAAAI3oSIRdM9cE-AflbGPjaw_xUg6xajgGJtM_yX4hkCY"
LX = "MS4wLjABAAAAOCNkaYVIwWH8z7H6EnpmDCbhVil-7uhlFAQPPxXiLmw"
XHS_USER = "5a177936e8ac2b535e9441b3"


def test_every_saved_platform_answer_is_listed_in_the_provenance_file_with_its_checksum():
    with open(REAL / "PROVENANCE.tsv", encoding="utf-8", newline="") as f:
        listed = {row["file"]: row for row in csv.DictReader(f, delimiter="\t")}
    for folder in ("douyin", "xiaohongshu", "zhihu", "kuaishou", "toutiao"):
        for path in (REAL / folder).iterdir():
            row = listed[f"{folder}/{path.name}"]
            assert hashlib.sha256(path.read_bytes()).hexdigest() == row["sha256"]
            assert len(row["commit"]) == 40 and "/" in row["repo"]


def test_a_preset_paces_requests_politely_unless_the_source_sets_its_own_delay():
    from scrapy.crawler import Crawler
    from scrapy.utils.project import get_project_settings

    from spiders.social import SocialSpider

    def pace(**fields):
        crawler = Crawler(SocialSpider, get_project_settings())
        SocialSpider.from_crawler(crawler, source=make_source("pace", "social", {"preset": "douyin", "creators": ["a"]},
                                                              **fields))
        return crawler.settings.getfloat("DOWNLOAD_DELAY"), crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")

    assert pace() == (8.0, 1)
    assert pace(delay="2s", concurrency=2) == (2.0, 2)


def test_every_platform_preset_sets_one_request_at_a_time_and_seconds_between_them():
    from monitor.config.model import SPIDER_OPTIONS
    from monitor.crawl.presets import preset_names

    watched = {"social": {"keywords": ["x"]}, "complaints": {"keywords": ["x"]}, "comments": {"targets": ["1"]}}
    platforms = [("social", p) for p in preset_names("social")] + [
        ("complaints", "heimao"), ("comments", "xiaohongshu"), ("comments", "zhihu")]
    for spider_type, preset in platforms:
        opts = SPIDER_OPTIONS[spider_type].model_validate({"preset": preset, **watched[spider_type]})
        assert (opts.polite_concurrency, opts.polite_delay.total_seconds() >= 5) == (1, True), preset


def douyin(site, creators, **options):
    return make_source("douyin-watch", "social", {"preset": "douyin", "base_url": site.url, "creators": creators,
                                                  **options}, platform="douyin", allow_networks=["127.0.0.1/32"], delay="0s")


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
    # the name ends in a private-use emoji, as saved
    assert (first.author.name, first.author.id, first.author.followers) == ("小蔡\ue04a", "52895175925", 344496)
    assert (first.engagement.likes, first.engagement.comments, first.engagement.reposts) == (4517, 479, 27)
    assert first.url == "https://www.douyin.com/video/6839298761143930116"
    last = posts["6815512416311315715"]
    # each video carries its own snapshot of the follower count (56818 … 56822 on this page)
    assert (last.author.name, last.author.id, last.author.followers) == ("Lx", "61431549002", 56822)
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
                         platform="xiaohongshu", allow_networks=["127.0.0.1/32"], delay="0s")
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


def test_xiaohongshu_keyword_search_gives_the_newest_notes_with_their_utc_times(serve, runner):
    site = serve("xiaohongshu")
    site.real("/api/sns/v10/search/notes?keyword=衣服&page=1", "xiaohongshu/app_search_notes.json")
    source = make_source("xhs-search", "social", {"preset": "xiaohongshu", "base_url": site.url, "keywords": ["衣服"],
                                                  "max_thread_pages": 1},
                         platform="xiaohongshu", allow_networks=["127.0.0.1/32"], delay="0s")
    result = runner.crawl(source, now=datetime(2023, 5, 4, 5, 0, tzinfo=timezone.utc))
    notes = by_native_id(result)
    assert len(result.mentions) == 10 and list(notes)[0] == "64533a53000000001203ef7d"
    first = notes["64533a53000000001203ef7d"]
    assert first.text.startswith("整理了下我种草的宝宝衣服，发现真的太好看了")
    assert (first.author.name, first.author.id, first.engagement.likes) == ("蓝无机", "60967c79000000000100b83e", 0)
    assert first.published_at == datetime(2023, 5, 4, 4, 53, 39, tzinfo=timezone.utc) and not first.time_unknown
    last = notes["645339be0000000011013c61"]
    assert (last.author.name, last.published_at) == ("没头脑", datetime(2023, 5, 4, 4, 51, 10, tzinfo=timezone.utc))
    assert notes["645339fa00000000270129f8"].engagement.likes == 2
    assert site.hits_of("/api/sns/v10/search/notes") == 1


NOTE = "6447b072000000002700297d"
ROOT = "6447b3cf000000001803a63c"
NO_MORE_REPLIES = b'{"code":0,"success":true,"data":{"comments":[],"has_more":false}}'  # written here: an empty reply page


def xhs_comments(site, **options):
    return make_source("xhs-comments", "comments", {"preset": "xiaohongshu", "base_url": site.url,
                                                    "targets": [NOTE], **options},
                       platform="xiaohongshu", allow_networks=["127.0.0.1/32"], delay="0s")


def test_xiaohongshu_comments_come_with_ip_location_and_their_inline_replies(serve, runner):
    site = serve("xiaohongshu")
    site.real(f"/api/sns/web/v2/comment/page?note_id={NOTE}&cursor=", "xiaohongshu/app_note_comments.json")
    result = runner.crawl(xhs_comments(site, sub_url=None, sub_post=None), now=datetime(2023, 5, 5, tzinfo=timezone.utc))
    found = by_native_id(result)
    assert len(result.mentions) == 30  # 15 comments, each with the one reply shown inline
    root = found[ROOT]
    assert (root.text, root.content_type, root.parent_id) == ("链接蹲", "comment", f"xiaohongshu:thread:{NOTE}")
    assert (root.author.name, root.author.id, root.ip_location) == ("倒头就睡不醒", "60e6a3c6000000000100a902", "湖北")
    assert (root.engagement.likes, root.engagement.comments) == (50, 13)
    assert root.published_at == datetime(2023, 4, 25, 11, 4, 47, tzinfo=timezone.utc)
    reply = found["6447cb69000000001500238f"]
    assert (reply.content_type, reply.parent_id, reply.author.name, reply.ip_location) == ("reply", root.id, "小甜菜.",
                                                                                         "黑龙江")
    assert reply.published_at == datetime(2023, 4, 25, 12, 45, 29, tzinfo=timezone.utc)
    assert found["64487fa4000000001402c209"].ip_location == "广东"


def test_xiaohongshu_replies_past_the_inline_one_are_read_from_the_reply_page(serve, runner):
    site = serve("xiaohongshu")
    site.real(f"/api/sns/web/v2/comment/page?note_id={NOTE}&cursor=", "xiaohongshu/app_note_comments.json")
    site.route("/api/sns/web/v2/comment/sub/page", Reply(body=NO_MORE_REPLIES, content_type="application/json"))
    site.real(f"/api/sns/web/v2/comment/sub/page?note_id={NOTE}&root_comment_id={ROOT}", "xiaohongshu/app_sub_comments.json")
    result = runner.crawl(xhs_comments(site), now=datetime(2023, 5, 5, tzinfo=timezone.utc))
    found = by_native_id(result)
    replies = [m for m in result.mentions if m.parent_id == found[ROOT].id]
    assert sorted(m.native_id for m in replies) == ["6447b61c0000000007021b6c", "6447bab20000000014039b1e",
                                                    "6447c10c000000001402eba7", "6447cb69000000001500238f",
                                                    "6447cb82000000000702745e", "6447cdfa00000000070258fa"]
    assert found["6447cdfa00000000070258fa"].author.name == "皮卡丘"
    assert len(result.mentions) == 35


def test_zhihu_search_gives_the_answer_with_its_author_votes_and_utc_time(serve, runner):
    site = serve("zhihu")
    site.real("/api/v4/search_v3?q=Kotlin", "zhihu/search_v3_general.json")
    source = make_source("zhihu-search", "social", {"preset": "zhihu", "base_url": site.url, "keywords": ["Kotlin"]},
                         platform="zhihu", allow_networks=["127.0.0.1/32"], delay="0s")
    result = runner.crawl(source, now=datetime(2025, 8, 8, tzinfo=timezone.utc))
    [answer] = result.mentions
    assert answer.native_id == "1936787046304842491" and answer.content_type == "post"
    assert answer.text.startswith("以前我也是Kotlin信徒，直到现在我也觉得Kotlin在语言上可圈可点。")
    assert (answer.author.name, answer.author.id, answer.author.followers) == ("脱敏作者", "redacted-author-id", 552)
    assert (answer.engagement.likes, answer.engagement.comments) == (101, 71)
    assert answer.published_at == datetime(2025, 8, 7, 5, 53, 35, tzinfo=timezone.utc)
    assert answer.url == "https://www.zhihu.com/answer/1936787046304842491"
    assert site.hits_of("/api/v4/search_v3") == 1  # paging.is_end: no second page


def test_zhihu_comments_carry_the_ip_location_of_their_comment_tag(serve, runner):
    # Reconstruction: the real saved comment object inside a comment page written here (no saved page found).
    comment = (REAL / "zhihu/comment_v5_comment.json").read_bytes()
    page = b'{"data":[' + comment + b'],"paging":{"is_end":true}}'
    site = serve("zhihu")
    site.route("/api/v4/comment_v5/answers/1936787046304842491/root_comment",
               Reply(body=page, content_type="application/json"))
    source = make_source("zhihu-comments", "comments", {"preset": "zhihu", "base_url": site.url,
                                                        "targets": ["1936787046304842491"]},
                         platform="zhihu", allow_networks=["127.0.0.1/32"], delay="0s")
    result = runner.crawl(source, now=datetime(2025, 8, 8, tzinfo=timezone.utc))
    [comment] = result.mentions
    assert (comment.native_id, comment.content_type) == ("11253652875", "comment")
    assert comment.text == "我不在乎你其它的观点, 但是, 你骂Maven/Gradle的话, 那我们就是朋友."
    assert (comment.author.name, comment.ip_location, comment.engagement.likes) == ("脱敏用户001", "上海", 37)
    assert comment.published_at == datetime(2025, 8, 7, 7, 11, 34, tzinfo=timezone.utc)
    assert comment.parent_id == "zhihu:thread:1936787046304842491"


def test_heimao_complaints_keep_their_status_as_pr_staff_read_it(serve, runner):
    # Reconstruction (tests/fixtures/sites/heimao, written here): no real saved 黑猫投诉 answer was found.
    site = serve("heimao")
    site.file("/api/index/s?keywords=星河&page=1", "search-page-1.json", content_type="application/json")
    site.route("/api/index/s", Reply(body=b'{"result":{"status":{"code":0},"data":{"lists":[]}}}',
                                     content_type="application/json"))
    source = make_source("heimao", "complaints", {"preset": "heimao", "base_url": site.url, "keywords": ["星河"]},
                         platform="heimao", allow_networks=["127.0.0.1/32"], delay="0s")
    result = runner.crawl(source, now=datetime(2025, 11, 23, 4, 0, tzinfo=timezone.utc))
    found = by_native_id(result)
    assert {sn: m.status for sn, m in found.items()} == {"17390001001": "处理中", "17390000990": "已完成"}
    open_one = found["17390001001"]
    assert open_one.text.startswith("11月买的星河X5手机，充电十分钟机身烫手")
    assert (open_one.author.name, open_one.author.id) == ("黑猫用户7788", "6001001001")
    assert open_one.published_at == datetime(2025, 11, 23, 0, 0, tzinfo=timezone.utc)
    assert open_one.url == "https://tousu.sina.com.cn/complaint/view/17390001001/"


def test_a_second_search_crawl_finds_nothing_new_and_reads_only_the_first_page(serve, runner):
    site = serve("xiaohongshu")
    site.real("/api/sns/v10/search/notes?keyword=衣服&page=1", "xiaohongshu/app_search_notes.json")
    source = make_source("xhs-search", "social", {"preset": "xiaohongshu", "base_url": site.url, "keywords": ["衣服"]},
                         platform="xiaohongshu", allow_networks=["127.0.0.1/32"], delay="0s")
    now = datetime(2023, 5, 4, 5, 0, tzinfo=timezone.utc)
    first = runner.crawl(source, now=now)
    assert len(first.mentions) == 10 and site.hits_of("/api/sns/v10/search/notes") == 2  # page 2: not served
    site.hits.clear()
    second = runner.crawl(source, state=first.state, now=now.replace(minute=10))
    assert second.mentions == [] and site.hits_of("/api/sns/v10/search/notes") == 1  # known notes: no page 2


def kuaishou(site, **options):
    return make_source("kuaishou-watch", "social", {"preset": "kuaishou", "base_url": site.url, "max_thread_pages": 1,
                                                    **options}, platform="kuaishou", allow_networks=["127.0.0.1/32"],
                       delay="0s")


def test_kuaishou_search_gives_every_video_with_its_author_time_and_engagement(serve, runner):
    site = serve("kuaishou")
    site.real("/rest/v/search/feed?keyword=早上好&pcursor=", "kuaishou/search_feed.json")
    result = runner.crawl(kuaishou(site, keywords=["早上好"]), now=datetime(2020, 7, 24, tzinfo=timezone.utc))
    videos = by_native_id(result)
    assert len(result.mentions) == 15 and list(videos)[0] == "5200531702450371921"
    star = videos["5203346451099414157"]
    assert star.text == "早上好家人们，今天晚上10点直播#感谢快手官大大送上热门"
    assert (star.author.name, star.author.id) == ("戏精圆圆🌺3岁", "344543526")
    assert star.published_at == datetime(2020, 7, 7, 23, 37, 39, tzinfo=timezone.utc)  # 1594165059548 ms
    engagement = star.engagement
    assert (engagement.likes, engagement.comments, engagement.views, engagement.reposts) == (100529, 4747, 3926251, 1365)
    assert star.url == "https://www.kuaishou.com/short-video/5203346451099414157"
    assert videos["5200531702450371921"].engagement.reposts is None  # no shareCount on that item
    assert not any(m.time_unknown for m in result.mentions)
    assert site.hits_of("/rest/v/search/feed") == 1  # pcursor "2" is a next page; the limit here is one


def test_kuaishou_creator_feed_gives_the_creator_s_videos_newest_first(serve, runner):
    site = serve("kuaishou")
    site.real("/rest/v/profile/feed?user_id=3xsvcx7dud4spnu&pcursor=&page=profile", "kuaishou/feed_profile.json")
    result = runner.crawl(kuaishou(site, creators=["3xsvcx7dud4spnu"]), now=datetime(2020, 8, 1, tzinfo=timezone.utc))
    assert len(result.mentions) == 24 and {m.author.name for m in result.mentions} == {"快√手⇒518"}
    assert result.mentions[0].native_id == "5256826694355036627"
    times = [m.published_at for m in result.mentions]
    assert times[0] == datetime(2020, 4, 25, 10, 44, 25, tzinfo=timezone.utc)  # 1587811465970 ms
    assert min(times) == datetime(2020, 3, 29, 2, 23, 47, tzinfo=timezone.utc)
    assert sum(m.text == "..." for m in result.mentions) == 11  # captions the platform shows as "..."


def test_toutiao_search_keeps_the_articles_and_videos_and_skips_the_other_cards(serve, runner):
    site = serve("toutiao")
    site.real("/api/search/content/?keyword=视频&offset=0&count=20", "toutiao/search_content.json")
    source = make_source("toutiao-watch", "social", {"preset": "toutiao", "base_url": site.url, "keywords": ["视频"],
                                                     "max_thread_pages": 1},
                         platform="toutiao", allow_networks=["127.0.0.1/32"], delay="0s")
    result = runner.crawl(source, now=datetime(2018, 7, 13, 7, 0, tzinfo=timezone.utc))
    items = by_native_id(result)
    assert len(result.mentions) == 14  # of 19 results: 5 are cards (apps, Douyin videos, users), no articles
    first = items["6577201427783877123"]
    assert (first.text, first.author.name, first.author.id) == ("看了这个视频，以后你还敢赌博吗？", "百千娱乐世界",
                                                                "52098330240")
    assert first.published_at == datetime(2018, 7, 13, 4, 10, tzinfo=timezone.utc)  # "datetime": 12:10:00 Beijing
    assert first.url == "https://www.toutiao.com/article/6577201427783877123/"
    swim = items["6442507966741479949"]  # no abstract: the title is the text
    assert (swim.text, swim.engagement.comments) == ("游泳教学视频 学游泳视频", 33)
    # publish_time 1500013277; its "datetime" (14:23:02 Beijing) is a later display time, not read
    assert swim.published_at == datetime(2017, 7, 14, 6, 21, 17, tzinfo=timezone.utc)
    assert site.hits_of("/api/search/content/") == 1
