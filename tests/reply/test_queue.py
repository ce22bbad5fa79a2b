"""`brandmon queue` over mentions the real spiders collected from a local forum."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from monitor.mention import Mention
from monitor.reply.queue import answered_ids
from tests.reply.conftest import brandmon, crawl_demo, queue_json


def test_the_queue_lists_unanswered_negative_mentions_oldest_first_with_link_brand_age_and_sla_state(crawled):
    items = queue_json(crawled)["items"]
    assert len(items) >= 10
    assert [i["published_at"] for i in items] == sorted(i["published_at"] for i in items)
    first = items[0]
    assert set(first) >= {"id", "url", "brand", "category", "age_seconds", "sla_state"}
    assert first["url"].startswith("http://127.0.0.1:") and first["age_seconds"] == max(i["age_seconds"] for i in items)
    by_id = {i["id"]: i for i in items}
    # 打工人's complaint is 3 hours old against a 2 h SLA; the burst posts are minutes old
    assert (by_id["forum:105-1"]["brand"], by_id["forum:105-1"]["sla_state"]) == ("云朵奶茶", "breached")
    assert {i["sla_state"] for i in items if "thread/109" in i["url"]} == {"ok"}
    assert all(i["sla_state"] == ("breached" if i["age_seconds"] >= 7200 else i["sla_state"]) for i in items)


def test_the_queue_shows_the_first_items_asked_for_and_counts_them_all(crawled):
    every = queue_json(crawled, "--limit", "1000")
    first = queue_json(crawled, "--limit", "2")
    assert [i["id"] for i in first["items"]] == [i["id"] for i in every["items"][:2]] and first["shown"] == 2
    assert first["total"] == every["total"] == len(every["items"]) > 2
    assert first["states"] == every["states"] and sum(first["states"].values()) == first["total"]
    late = queue_json(crawled, "--state", "breached", "--sort", "due", "--limit", "1000")
    assert {i["sla_state"] for i in late["items"]} == {"breached"} and late["total"] == every["states"]["breached"]
    assert [i["due_at"] for i in late["items"]] == sorted(i["due_at"] for i in late["items"])
    text = brandmon("queue", "-c", str(crawled), "--limit", "2")
    assert text.returncode == 0 and text.stdout.count("id=forum:") == 2
    lines = text.stdout.splitlines()  # the CLI's language is English here (LANG=C.UTF-8)
    assert lines[0].startswith(f"{every['total']} unanswered, {every['states']['breached']} breached; showing 2")
    assert lines[-1] == f"{every['total'] - 2} more not shown (--limit to show more)"


def test_a_complaint_the_official_account_answered_in_its_thread_is_not_queued(crawled):
    ids = {i["id"] for i in queue_json(crawled)["items"]}
    assert "forum:107-1" not in ids  # 技术宅's complaint, followed by 阿杰's reply in thread 107
    assert "forum:105-1" in ids      # 打工人's complaint about 云朵奶茶: nobody from the brand answered


def test_handled_items_leave_the_queue_and_snoozed_ones_wait(crawled):
    before = queue_json(crawled)["items"]
    handled, snoozed, assigned = before[0]["id"], before[1]["id"], before[2]["id"]
    assert brandmon("queue", "handle", handled, "--note", "已私信道歉并退款", "--by", "小王", "-c", str(crawled)
                    ).returncode == 0
    assert brandmon("queue", "snooze", snoozed, "--for", "2h", "-c", str(crawled)).returncode == 0
    assert brandmon("queue", "assign", assigned, "--to", "小李", "-c", str(crawled)).returncode == 0
    after = {i["id"]: i for i in queue_json(crawled)["items"]}
    assert handled not in after and snoozed not in after
    assert after[assigned]["assignee"] == "小李"
    everything = {i["id"]: i for i in queue_json(crawled, "--all")["items"]}
    assert everything[snoozed]["sla_state"] == "snoozed"
    assert brandmon("queue", "reopen", handled, "-c", str(crawled)).returncode == 0
    assert handled in {i["id"] for i in queue_json(crawled)["items"]}


def test_acting_on_a_mention_that_is_not_queued_is_refused_and_leaves_no_mark(crawled):
    proc = brandmon("queue", "handle", "forum:no-such-post", "-c", str(crawled))
    assert proc.returncode == 1 and "forum:no-such-post" in proc.stderr


def test_a_breached_reply_sla_opens_an_incident_that_escalates_through_the_playbook(tmp_path):
    from monitor.app import Monitor
    from monitor.clock import FakeClock
    from monitor.config import load_settings

    config = crawl_demo(tmp_path, escalate=True, burst=False)
    clock = FakeClock(datetime.now(timezone.utc))
    monitor = Monitor(load_settings(config), clock=clock)
    try:
        breached = {}
        for item in json.loads(brandmon("queue", "-c", str(config), "--json").stdout)["items"]:
            if item["sla_state"] == "breached":
                breached.setdefault(item["brand"], []).append(item["id"])
        touched, tick = monitor.evaluate()
        sla = {i.brand: i for i in touched if i.rule == "reply_sla"}
        assert set(sla) == set(breached) and "云朵奶茶" in sla
        assert {i.severity for i in sla.values()} == {"warning"}
        assert [e["id"] for e in sla["云朵奶茶"].examples] == breached["云朵奶茶"][:5]  # oldest first
        assert "forum:105-1" in breached["云朵奶茶"]
        assert {d.channel for d in monitor.store.deliveries(sla["云朵奶茶"].id) if d.status == "sent"} == {
            "console", "pr_oncall"}
    finally:
        monitor.close()


def _m(mid: str, minutes: int, parent: str | None = None, thread: str | None = "t1", author: str = "u") -> Mention:
    at = datetime(2026, 11, 23, tzinfo=timezone.utc) + timedelta(minutes=minutes)
    return Mention(id=mid, platform="bilibili", source="s", url="", text="x", published_at=at, crawled_at=at,
                   parent_id=parent, thread_id=thread, content_type="comment")


def test_an_official_reply_deep_in_a_comment_tree_answers_every_comment_above_it_and_no_sibling():
    a, b = _m("a", 0, parent="t1"), _m("b", 1, parent="t1")
    a1 = _m("a1", 2, parent="a")
    official = _m("o", 3, parent="a1")
    assert answered_ids([a, b, a1, official], [official]) == {"a", "a1", "t1"}
