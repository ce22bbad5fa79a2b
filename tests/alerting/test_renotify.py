"""One crisis, one incident per brand; an incident that grows or turns graver tells people again."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from monitor.alerting.notify import Notifier
from monitor.alerting.policy import IncidentManager
from monitor.store.sqlite import SqliteStore
from tests.alerting.incidents import finding, settings_for


@pytest.fixture
def manager(tmp_path, clock, receiver):
    settings = settings_for({"oncall": receiver.url("oncall"), "lead": receiver.url("lead")}, incident_per="brand",
                            renotify_growth=3, renotify_interval="30m")
    store = SqliteStore(tmp_path / "db.sqlite")
    yield IncidentManager(settings, store, Notifier(settings.config, sleep=lambda s: None), clock)
    store.close()


def test_a_second_rule_on_the_same_brand_joins_its_open_incident(manager, receiver, clock):
    manager.handle([finding(clock, rule="crisis_keyword", severity="warning", count=4)])
    manager.tick()
    clock.advance(timedelta(minutes=5))
    manager.handle([finding(clock, rule="negative_share", severity="warning", count=5),
                    finding(clock, brand="华为", severity="warning")])
    manager.tick()
    assert sorted((i.brand, i.rule) for i in manager.store.incidents()) == [("华为", "negative_spike"),
                                                                            ("小米", "crisis_keyword")]
    assert [m["title"][:6] for m in receiver.received] == ["【警告】小米", "【警告】华为"]


def test_a_routine_incident_that_turns_critical_takes_the_critical_playbook_and_notifies_again(manager, receiver, clock):
    [incident] = manager.handle([finding(clock, rule="crisis_keyword", severity="warning", count=4)])
    manager.tick()
    clock.advance(timedelta(minutes=10))
    manager.handle([finding(clock, rule="negative_spike", severity="critical", count=40)])
    manager.tick()
    [grown] = manager.store.incidents()
    assert grown.id == incident.id and grown.severity == "critical" and grown.wave["n"] == 1
    assert [m["title"].split("】")[0] for m in receiver.received] == ["【警告", "【严重"]
    assert [(d.step, d.channel) for d in manager.store.deliveries(incident.id)] == [("0.0", "oncall"),
                                                                                    ("w1/0.0", "oncall")]
    assert "再次通知" in receiver.received[1]["message"]
    assert [e.kind for e in manager.store.events(incident.id)].count("renotify") == 1


def test_findings_of_one_tick_open_the_incident_at_the_gravest_severity_with_one_message(manager, receiver, clock):
    manager.handle([finding(clock, rule="crisis_keyword", severity="warning"), finding(clock, severity="critical")])
    manager.tick()
    [incident] = manager.store.incidents()
    assert incident.severity == "critical" and len(receiver.received) == 1


def test_growth_by_the_factor_notifies_again_once_and_smaller_growth_does_not(manager, receiver, clock):
    [incident] = manager.handle([finding(clock, count=10)])
    manager.tick()
    for minutes, count in ((10, 25), (40, 29), (45, 31), (50, 60)):
        clock.set(incident.opened_at + timedelta(minutes=minutes))
        manager.handle([finding(clock, count=count)])
        manager.tick()
    first_steps = [d.step for d in manager.store.deliveries(incident.id) if d.step.endswith("0.0")]
    assert first_steps == ["0.0", "w1/0.0"]  # 25 is too soon and too small; 31 ≥ 3 × 10 after 30 min
    [event] = [e for e in manager.store.events(incident.id) if e.kind == "renotify"]
    assert "规模扩大：10 → 31" in event.detail


def test_a_crisis_that_pauses_past_resolve_after_reopens_its_incident_without_a_second_first_notice(manager, receiver,
                                                                                                   clock):
    [incident] = manager.handle([finding(clock, count=10)])
    manager.tick()
    clock.advance(timedelta(minutes=20))  # the escalation step goes out too
    manager.tick()
    clock.advance(timedelta(hours=2))  # quiet: resolved by itself, everyone told
    manager.tick()
    told = len(receiver.received)
    clock.advance(timedelta(hours=3))
    [again] = manager.handle([finding(clock, rule="crisis_keyword", severity="warning", count=12)])
    manager.tick()
    clock.advance(timedelta(minutes=30))
    manager.tick()
    assert again.id == incident.id and manager.store.get_incident(incident.id).state == "open"
    assert len(receiver.received) == told  # both steps and the resolved notice were sent once already
    kinds = [e.kind for e in manager.store.events(incident.id)]
    assert kinds.index("resolved") < kinds.index("reopened")


def test_after_reopen_within_or_a_resolve_by_a_person_a_finding_opens_a_new_incident(manager, clock):
    [first] = manager.handle([finding(clock)])
    manager.tick()
    clock.advance(timedelta(hours=2, minutes=5))
    manager.tick()
    clock.advance(timedelta(hours=6))
    [late] = manager.handle([finding(clock)])
    manager.resolve(late.id, by="张经理")
    clock.advance(timedelta(minutes=10))
    [after_person] = manager.handle([finding(clock)])
    assert len({first.id, late.id, after_person.id}) == 3


def words(clock, terms: list[str], count: int = 5):
    """A crisis_keyword finding on these words (the keyword rule puts the words that fired in its figures)."""
    base = finding(clock, count=count, rule="crisis_keyword", severity="warning")
    return dataclasses.replace(base, rule_type="keyword", figures={**base.figures, "terms": terms})


def test_an_incident_of_everyday_complaints_that_hears_new_crisis_words_notifies_again_once(manager, receiver, clock):
    [incident] = manager.handle([words(clock, ["退款", "投诉"])])
    manager.tick()
    clock.advance(timedelta(hours=3))
    manager.handle([words(clock, ["投诉", "退款"], count=6)])  # the same complaints, a little more: nothing new
    manager.tick()
    clock.advance(timedelta(minutes=30))
    manager.handle([words(clock, ["塌房", "投诉"], count=7)])  # the crisis itself: a word never heard in it
    manager.tick()
    clock.advance(timedelta(minutes=10))
    manager.handle([words(clock, ["翻车", "塌房"], count=8)])  # within renotify_interval: joins that notice
    manager.tick()
    first_steps = [d.step for d in manager.store.deliveries(incident.id) if d.step.endswith("0.0")]
    assert first_steps == ["0.0", "w1/0.0"]
    [event] = [e for e in manager.store.events(incident.id) if e.kind == "renotify"]
    assert event.detail == "出现新危机词：塌房（crisis_keyword）"
    assert manager.store.get_incident(incident.id).wave["terms"] == ["退款", "投诉", "塌房", "翻车"]


def test_crisis_words_joining_an_incident_opened_without_words_do_not_notify_again(manager, receiver, clock):
    [incident] = manager.handle([finding(clock, count=10)])  # the spike opened it: its message came first
    manager.tick()
    clock.advance(timedelta(hours=1))
    manager.handle([words(clock, ["爆炸", "受伤"])])
    manager.tick()
    assert [d.step for d in manager.store.deliveries(incident.id) if d.step.endswith("0.0")] == ["0.0"]


def test_a_new_topic_joining_an_incident_of_crisis_words_is_not_taken_for_new_crisis_words(manager, receiver, clock):
    [incident] = manager.handle([words(clock, ["退款"])])
    manager.tick()
    clock.advance(timedelta(hours=1))
    base = finding(clock, rule="new_topic", severity="warning")
    manager.handle([dataclasses.replace(base, rule_type="new_topic",
                                        figures={**base.figures, "terms": [{"term": "翻车", "count": 9, "baseline": 0.1}]})])
    manager.tick()
    assert [d.step for d in manager.store.deliveries(incident.id) if d.step.endswith("0.0")] == ["0.0"]
    assert manager.store.get_incident(incident.id).wave["terms"] == ["退款"]
