"""Delivery: fallback after retries, ack links, Kibana links, channel size limits, interrupted sends."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import apprise.plugins.wecombot
import pytest

from monitor.alerting.acklink import AckLinks
from monitor.incident import Incident
from tests.alerting.incidents import finding


def test_a_channel_failing_past_the_give_up_age_falls_back_and_both_are_on_the_timeline(managers, receiver, clock):
    manager = managers(fallback_channel="backup", give_up_after="10m")
    receiver.down = {"/oncall"}
    [incident] = manager.handle([finding(clock)])
    manager.tick()
    clock.advance(timedelta(minutes=9))
    manager.tick()
    assert receiver.paths() == []
    clock.advance(timedelta(minutes=1))
    manager.tick()
    assert receiver.paths() == ["/backup"]
    log = {(d.step, d.channel): d.status for d in manager.store.deliveries(incident.id)}
    assert log == {("0.0", "oncall"): "failed", ("0.0/fallback:oncall", "backup"): "sent"}
    details = [e.detail for e in manager.store.events(incident.id)
               if e.kind in ("delivery_failed", "gave_up", "fallback")]
    assert details[0].startswith("首次通知 → oncall: ") and details[0].endswith("（将重试）")
    assert details[1].startswith("首次通知 → oncall：0:10:00 内 2 次未送达，放弃，改发备用通道 backup")
    assert details[2] == "首次通知：oncall 投递失败，备用通道 backup 已转发"


def test_the_resolved_notice_reaches_the_fallback_that_was_used(managers, receiver, clock):
    manager = managers(fallback_channel="backup", give_up_after="10m")
    receiver.down = {"/oncall"}
    manager.handle([finding(clock)])
    manager.tick()
    clock.advance(timedelta(minutes=10))
    manager.tick()
    clock.advance(timedelta(hours=2))
    manager.tick()
    assert receiver.paths() == ["/backup", "/backup"]
    assert receiver.received[1]["title"].startswith("【已恢复】")


def test_a_resolved_notice_to_a_server_that_is_down_is_retried_after_a_restart_until_it_arrives_once(
        managers, receiver, clock):
    manager = managers(channels={"oncall": receiver.url("oncall")})
    [incident] = manager.handle([finding(clock)])
    manager.tick()
    receiver.down = {"/oncall"}
    manager.resolve(incident.id, "王经理")
    clock.advance(timedelta(minutes=5))
    manager.tick()  # still down: tried again, kept
    receiver.down = set()
    restarted = managers(channels={"oncall": receiver.url("oncall")})  # what waits is in the store
    clock.advance(timedelta(minutes=5))
    restarted.tick()
    restarted.tick()
    assert receiver.paths() == ["/oncall", "/oncall"]
    assert receiver.received[1]["title"].startswith("【已恢复】")
    row = next(d for d in restarted.store.deliveries(incident.id) if d.step == "resolved")
    assert (row.channel, row.status, row.attempts) == ("oncall", "sent", 3)
    timeline = [(e.kind, e.detail) for e in restarted.store.events(incident.id)
                if e.kind in ("delivery_failed", "resolved_notice")]
    assert [kind for kind, _ in timeline] == ["delivery_failed", "resolved_notice"]
    assert timeline[1][1] == "恢复通知 → oncall（第 3 次尝试）"


def test_a_resolved_notice_is_given_up_after_the_give_up_age_and_the_timeline_says_so(managers, receiver, clock):
    manager = managers(channels={"oncall": receiver.url("oncall")}, give_up_after="10m")
    [incident] = manager.handle([finding(clock)])
    manager.tick()
    receiver.down = {"/oncall"}
    manager.resolve(incident.id, "王经理")
    clock.advance(timedelta(minutes=10))
    manager.tick()
    receiver.down = set()
    clock.advance(timedelta(minutes=10))
    manager.tick()
    assert receiver.paths() == ["/oncall"]  # the alert, and no late resolved notice
    row = next(d for d in manager.store.deliveries(incident.id) if d.step == "resolved")
    assert (row.status, row.attempts) == ("failed", 1)
    [gave_up] = [e.detail for e in manager.store.events(incident.id) if e.kind == "gave_up"]
    assert gave_up == "恢复通知 → oncall：0:10:00 内 1 次未送达，放弃"


def test_a_retry_that_succeeds_needs_no_fallback(managers, receiver, clock):
    manager = managers(fallback_channel="backup")
    receiver.fail_next = 1
    manager.handle([finding(clock)])
    manager.tick()
    assert receiver.paths() == ["/oncall"]


def test_every_message_carries_a_signed_ack_link_when_the_server_is_public(managers, receiver, clock):
    manager = managers()
    manager.ack_links = AckLinks("s3cret", "https://brandmon.example.com", timedelta(hours=24), clock)
    [incident] = manager.handle([finding(clock)])
    manager.tick()
    body = receiver.received[0]["message"]
    link = next(line.removeprefix("确认：") for line in body.splitlines() if line.startswith("确认：https://"))
    parsed = urlparse(link)
    query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    assert parsed.path == f"/ack/{incident.id}"
    manager.ack_links.verify(incident.id, query["exp"], query["sig"])


def test_the_kibana_link_is_filtered_on_the_brand_and_the_incident_window(managers, receiver, clock):
    manager = managers(kibana_url="http://127.0.0.1:5601/")
    manager.handle([finding(clock)])
    manager.tick()
    link = next(line.removeprefix("看板：") for line in receiver.received[0]["message"].splitlines()
                if line.startswith("看板："))
    assert link.startswith("http://127.0.0.1:5601/app/discover#/?_g=(time:(from:")
    assert "2026-11-23T01:50:00Z" in link and "2026-11-23T02:00:00Z" in link
    assert "brands:%22%E5%B0%8F%E7%B1%B3%22" in link  # brands:"小米"


@pytest.fixture
def wecom_requests(monkeypatch):
    """WeCom's bot endpoint cannot run here: capture what apprise would post to it and answer like WeCom."""
    sent = []

    class Answer:
        status_code = 200
        content = b'{"errcode":0,"errmsg":"ok"}'

    def post(url, data=None, headers=None, **kwargs):
        sent.append({"url": url, "payload": json.loads(data)})
        return Answer()

    monkeypatch.setattr(apprise.plugins.wecombot.requests, "post", post)
    return sent


def test_a_wecom_message_fits_the_bots_limit_and_keeps_the_ack_line(managers, clock, wecom_requests):
    manager = managers({"oncall": "wecombot://botkey", "lead": "wecombot://botkey"})
    long = finding(clock)
    long.examples = []
    [incident] = manager.handle([long])
    incident.examples = [{"platform": "weibo", "author": f"网友{i}", "text": "电池鼓包" * 100,
                          "url": f"https://weibo.example/{i}"} for i in range(20)]
    manager.store.save_incident(incident)
    manager.tick()
    [request] = wecom_requests
    assert request["url"] == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=botkey"
    content = request["payload"]["text"]["content"] if "text" in request["payload"] else \
        request["payload"]["markdown"]["content"]
    assert len(content.encode()) <= 2048  # WeCom counts bytes
    assert content.rstrip().endswith(f"命令行确认：brandmon ack {incident.id}")
    assert "示例：\n1. [weibo] 网友0" in content


def test_a_send_interrupted_before_it_was_recorded_is_resent_once_after_the_timeout(managers, receiver, clock):
    manager = managers(pending_timeout="5m")
    [incident] = manager.handle([finding(clock)])
    manager.store.claim_delivery(incident.id, "0.0", "oncall", clock.now())  # a process died right here
    manager.tick()
    assert receiver.paths() == []
    clock.advance(timedelta(minutes=5))
    manager.tick()
    manager.tick()
    assert receiver.paths() == ["/oncall"]
    assert "中断后重发" in manager.store.events(incident.id)[-1].detail


def test_an_incident_from_before_these_fields_existed_still_loads():
    old = {"id": "INC-1", "fingerprint": "r|b|", "rule": "r", "brand": "b", "severity": "warning", "title": "t",
           "playbook": {}, "opened_at": "2026-11-23T02:00:00+00:00", "last_seen_at": "2026-11-23T02:00:00+00:00"}
    assert Incident.from_dict(old).escalate_from is None
