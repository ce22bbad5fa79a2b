"""The Discourse preset through its JSON API: a category's topics, then each topic's post stream."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.crawl.conftest import JSON, by_native_id, forum_source
from tests.crawl.fixture_site import FixtureSite, Reply


FORUM = {
    "/c/support/6.json": "c-support-6.json",
    "/c/support/6/l/latest?page=1": "c-support-6-page-1.json",
    **{f"/t/{tid}.json": f"t-{tid}.json" for tid in (5, 7, 8)},
    "/t/8/posts.json?post_ids[]=820&post_ids[]=821": "t-8-posts-820-821.json",
}


@pytest.fixture
def site(serve):
    return serve("discourse", FORUM, **JSON)


def discourse(site: FixtureSite):
    return forum_source("xinghe-discourse", "discourse", site, ["support/6"])


def test_all_posts_are_read_including_those_past_the_first_chunk_of_the_stream(site, runner):
    result = runner.crawl(discourse(site))
    posts = by_native_id(result)
    assert set(posts) == {"500", "701", "702", "703"} | {str(n) for n in range(800, 822)}
    assert result.errors == 0
    assert posts["821"].text == "星河OS 3.2：3.2.1 已推送，好多了" and posts["821"].content_type == "reply"
    assert site.hits["/t/8/posts.json?post_ids%5B%5D=820&post_ids%5B%5D=821"] == 1


def test_cooked_html_becomes_plain_text_without_the_quoted_post_and_likes_are_kept(site, runner):
    posts = by_native_id(runner.crawl(discourse(site)))
    assert posts["702"].text == "已转给星河售后，请私信订单号。"
    assert posts["701"].engagement.likes == 5 and posts["701"].author.name == "zhou"
    assert posts["701"].title == "星河X5 电池鼓包，官方怎么说？" and posts["701"].url == f"{site.url}/p/701"


def test_the_api_is_asked_for_json(site, runner):
    runner.crawl(discourse(site))
    assert all(h.get("accept", "").startswith("application/json") for h in site.headers if "robots" not in h)


def test_one_new_reply_costs_the_list_and_that_topic_only_and_is_one_new_mention(site, runner):
    first = runner.crawl(discourse(site))
    site.files({"/c/support/6.json": "c-support-6-new-reply.json", "/t/7.json": "t-7-new-reply.json"}, **JSON)
    site.hits.clear()
    second = runner.crawl(discourse(site), state=first.state)
    assert [m.native_id for m in second.mentions] == ["704"]
    assert site.hits_of("/t/") == 1 and site.hits["/t/7.json"] == 1


def test_system_notices_are_not_replies_and_an_image_only_post_is_not_asked_for_again(site, runner):
    chunk = json.loads((site.folder / "t-8-posts-820-821.json").read_text(encoding="utf-8"))
    notice, image = chunk["post_stream"]["posts"]
    notice.update(post_type=3, action_code="pinned.enabled", username="system", cooked="<p>置顶了此主题</p>")
    image.update(cooked='<p><img src="/uploads/x5-swollen.jpg" alt="x5-swollen"></p>')
    site.route("/t/8/posts.json?post_ids[]=820&post_ids[]=821", Reply(body=json.dumps(chunk).encode(), content_type="application/json"))
    now = datetime(2025, 11, 23, 2, 0, tzinfo=timezone.utc)
    first = runner.crawl(discourse(site), now=now)
    found = by_native_id(first)
    assert {"820", "821"}.isdisjoint(found), {k: found[k].text for k in {"820", "821"} & set(found)}
    assert first.skipped == {"empty": 2}
    site.hits.clear()
    runner.crawl(discourse(site), state=first.state, now=now + timedelta(days=1))  # topic 8 re-checked
    assert site.hits["/t/8.json"] == 1 and site.hits_of("/t/8/posts.json") == 0
