"""The notification policy with an injected clock and real receivers."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy as email_policy

import pytest

from monitor.alerting.notify import Notifier
from monitor.alerting.policy import IncidentManager
from monitor.store.sqlite import SqliteStore
from tests.alerting.incidents import finding, settings_for


@pytest.fixture
def manager(tmp_path, clock, receiver):
    settings = settings_for({"oncall": receiver.url("oncall"), "lead": receiver.url("lead")})
    store = SqliteStore(tmp_path / "db.sqlite")
    yield IncidentManager(settings, store, Notifier(settings.config, sleep=lambda s: None), clock)
    store.close()


def test_one_finding_opens_one_incident_and_notifies_the_first_step(manager, receiver, clock):
    [incident] = manager.handle([finding(clock)])
    manager.tick()
    assert receiver.paths() == ["/oncall"]
    message = receiver.received[0]
    assert message["title"].startswith("【严重】小米 声量激增")
    assert "关键词：爆炸、召回" in message["message"] and f"brandmon ack {incident.id}" in message["message"]
    assert "指标：10 分钟内 12 条，基线 1.0，约 12.0 倍" in message["message"]


def test_the_same_fingerprint_again_updates_the_incident_instead_of_opening_another(manager, receiver, clock):
    manager.handle([finding(clock)])
    manager.tick()
    clock.advance(60)
    manager.handle([finding(clock, count=30)])
    manager.tick()
    [incident] = manager.store.incidents()
    assert incident.figures["count"] == 30
    assert receiver.paths() == ["/oncall"]


def test_an_unacknowledged_incident_escalates_on_schedule(manager, receiver, clock):
    manager.handle([finding(clock)])
    manager.tick()
    clock.advance(timedelta(minutes=14))
    manager.tick()
    assert receiver.paths() == ["/oncall"]
    clock.advance(timedelta(minutes=1))
    manager.tick()
    manager.tick()
    assert receiver.paths() == ["/oncall", "/lead"]


def test_acknowledging_stops_the_escalation(manager, receiver, clock):
    [incident] = manager.handle([finding(clock)])
    manager.tick()
    manager.ack(incident.id, "张三")
    clock.advance(timedelta(hours=1))
    manager.tick()
    assert receiver.paths() == ["/oncall"]
    kinds = [(e.kind, e.actor) for e in manager.store.events(incident.id) if e.kind != "resolved_notice"]
    assert kinds == [("opened", None), ("notified", None), ("acked", "张三")]


def test_a_quiet_incident_resolves_and_tells_whoever_was_notified(manager, receiver, clock):
    [incident] = manager.handle([finding(clock)])
    manager.tick()
    clock.advance(timedelta(hours=2))
    manager.tick()
    assert manager.store.get_incident(incident.id).state == "resolved"
    assert receiver.paths() == ["/oncall", "/oncall"]
    assert receiver.received[1]["title"].startswith("【已恢复】")


def test_a_failing_channel_is_retried_quickly_then_left_for_a_later_tick(manager, receiver, clock):
    receiver.fail_next = 10
    [incident] = manager.handle([finding(clock)])
    report = manager.tick()
    [delivery] = manager.store.deliveries(incident.id)
    assert (report.failed, delivery.status, delivery.attempts, receiver.refused) == (1, "retrying", 1, 3)
    assert "delivery_failed" in [e.kind for e in manager.store.events(incident.id)]


def test_a_restarted_manager_does_not_repeat_a_sent_step(manager, receiver, clock):
    manager.handle([finding(clock)])
    manager.tick()
    again = IncidentManager(manager.settings, manager.store, manager.notifier, clock)
    again.tick()
    assert receiver.paths() == ["/oncall"]


def test_after_downtime_every_recipient_of_a_missed_step_hears_of_the_incident(manager, receiver, clock):
    manager.handle([finding(clock)])
    clock.advance(timedelta(minutes=20))
    manager.tick()
    assert sorted(receiver.paths()) == ["/lead", "/oncall"]
    statuses = {d.step: d.status for d in manager.store.deliveries()}
    assert statuses == {"0.0": "sent", "0.1": "sent"}


def test_email_alerts_arrive_as_utf8_chinese_mail(tmp_path, clock, mailbox):
    settings = settings_for({"oncall": mailbox.url("oncall@example.com"), "lead": mailbox.url("lead@example.com")})
    store = SqliteStore(tmp_path / "mail.sqlite")
    manager = IncidentManager(settings, store, Notifier(settings.config), clock)
    manager.handle([finding(clock)])
    manager.tick()
    [path] = mailbox.messages
    mail = message_from_bytes(path.read_bytes(), policy=email_policy.default)
    assert mail["To"] == "oncall@example.com"
    assert "小米 声量激增" in mail["Subject"]
    assert "品牌：小米" in mail.get_body(("plain", "html")).get_content()
    store.close()
