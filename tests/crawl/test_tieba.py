"""The Tieba preset: a thread list shipped inside HTML comments, floors from data-field JSON, 楼中楼 replies."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.crawl.conftest import by_native_id, forum_source
from tests.crawl.fixture_site import FixtureSite, Reply


BOARD = {
    "/f?kw=星河手机&ie=utf-8": "f-page-1.html",
    "/f?kw=星河手机&ie=utf-8&pn=50": "f-page-2.html",
    "/p/9001": "p-9001.html",
    "/p/9001?pn=2": "p-9001-pn-2.html",
    "/p/9002": "p-9002.html",
    "/p/8000": "p-8000.html",
}


@pytest.fixture
def site(serve):
    return serve("tieba", BOARD)


def tieba(site: FixtureSite):
    return forum_source("xinghe-tieba", "tieba", site, ["星河手机"], platform="tieba")


def test_floors_of_every_thread_and_page_are_extracted_from_the_commented_out_list(site, runner):
    result = runner.crawl(tieba(site))
    floors = {m.native_id for m in result.mentions if m.parent_id is None or m.parent_id.startswith("tieba:thread:")}
    assert floors == {"146000001", "146000002", "146000003", "146000004", "146000005", "146100001", "146100002",
                      "145000001"}
    assert result.errors == 0
    first = by_native_id(result)["146000001"]
    assert (first.author.name, first.author.id, first.content_type) == ("电池受害者", "3071", "post")
    assert first.published_at == datetime(2025, 11, 20, 12, 15, tzinfo=timezone.utc)
    assert first.url == f"{site.url}/p/9001?pid=146000001#146000001"
    assert first.title == "星河手机售后太坑了，换个电池要一千？"


def test_nested_replies_hang_under_their_floor(site, runner):
    posts = by_native_id(runner.crawl(tieba(site)))
    nested = posts["146000102"]
    assert nested.content_type == "reply" and nested.parent_id == posts["146000001"].id
    assert nested.author.name == "电池受害者" and nested.text == "回复 路过的星河粉 :保修也就三个月，太贵了"
    assert nested.published_at == datetime(2025, 11, 20, 12, 41, tzinfo=timezone.utc)
    assert posts["146000103"].parent_id == posts["146000004"].id  # a floor on page 2 has its own


def test_a_new_floor_is_exactly_one_new_mention(site, runner):
    first = runner.crawl(tieba(site))
    site.files({"/f?kw=星河手机&ie=utf-8": "f-page-1-new-reply.html", "/p/9001?pn=2": "p-9001-pn-2-new-reply.html"})
    second = runner.crawl(tieba(site), state=first.state)
    assert [m.native_id for m in second.mentions] == ["146000006"]


def test_a_楼中楼_reply_whose_data_field_is_single_quoted_javascript_keeps_its_id_and_author(site, runner):
    """Live Tieba prints the 楼中楼 data-field as a JavaScript literal ({'spid':'…'}, HTML-escaped) and, on
    the reply link, username="undefined": the page here is p-9001 rewritten that way."""
    html = (site.folder / "p-9001.html").read_text(encoding="utf-8")
    html = html.replace("""data-field='{"spid": 146000101, "showname": "路过的星河粉", "user_name": "路过的星河粉", """
                        """"portrait": "tb.1.77aa88bb"}'""",
                        "data-field=\"{&#039;spid&#039;:&#039;146000101&#039;,&#039;showname&#039;:&#039;路过的星河粉"
                        "&#039;,&#039;user_name&#039;:&#039;路过的星河粉&#039;}\"")
    html = html.replace('username="路过的星河粉">路过的星河粉</a>', 'username="undefined">路过的星河粉</a>')
    assert "&#039;spid&#039;" in html and 'username="undefined"' in html
    site.route("/p/9001", Reply(body=html.encode("utf-8")))
    reply = by_native_id(runner.crawl(tieba(site)))["146000101"]
    assert (reply.author.name, reply.text) == ("路过的星河粉", "第三方换的不保修啊")
