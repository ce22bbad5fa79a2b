"""Silences, inhibition, quiet hours and grouping: when notifications wait, and that they are not lost."""

from __future__ import annotations

from datetime import timedelta

from tests.alerting.incidents import finding

# The clock fixture starts on Monday 2026-11-23 at 10:00 in Shanghai.


def kinds(manager, incident) -> list[str]:
    return [e.kind for e in manager.store.events(incident.id)]


def test_a_silenced_incident_is_recorded_but_notifies_only_after_the_silence_expires(managers, receiver, clock):
    manager = managers()
    silence = manager.silences.add(timedelta(hours=1), "张三", brand="小米", comment="发布会")
    [incident] = manager.handle([finding(clock)])
    assert manager.tick().muted == 1
    assert receiver.paths() == []
    clock.advance(timedelta(minutes=30))
    manager.handle([finding(clock)])
    manager.silences.expire(silence.id)
    manager.tick()
    assert receiver.paths() == ["/oncall"]
    assert kinds(manager, incident)[:3] == ["opened", "muted", "unmuted"]


def test_the_playbook_clock_starts_when_the_mute_lifts(managers, receiver, clock):
    manager = managers()
    manager.silences.add(timedelta(hours=1), "张三", rule="negative_spike")
    manager.handle([finding(clock)])
    manager.tick()
    clock.advance(timedelta(hours=1))
    manager.handle([finding(clock)])
    manager.tick()
    clock.advance(timedelta(minutes=14))
    manager.tick()
    assert receiver.paths() == ["/oncall"]
    clock.advance(timedelta(minutes=1))
    manager.tick()
    assert receiver.paths() == ["/oncall", "/lead"]


def test_a_silence_for_another_brand_does_not_mute(managers, receiver, clock):
    manager = managers()
    manager.silences.add(timedelta(hours=1), "张三", brand="华为")
    manager.handle([finding(clock)])
    manager.tick()
    assert receiver.paths() == ["/oncall"]


def test_a_critical_incident_mutes_a_warning_of_the_same_brand_only(managers, receiver, clock):
    manager = managers()
    critical, warning, other = manager.handle([
        finding(clock), finding(clock, rule="crisis_keyword", severity="warning"),
        finding(clock, rule="crisis_keyword", brand="华为", severity="warning")])
    manager.tick()
    titles = [r["title"] for r in receiver.received]
    assert sorted(titles) == ["【严重】小米 声量激增：10 分钟 12 条", "【警告】华为 声量激增：10 分钟 12 条"]
    assert f"被 {critical.id}（critical）抑制" in manager.store.events(warning.id)[-1].detail


def test_inhibition_ends_with_the_graver_incident(managers, receiver, clock):
    manager = managers()
    critical, warning = manager.handle([finding(clock), finding(clock, rule="crisis_keyword", severity="warning")])
    manager.tick()
    manager.resolve(critical.id, "张三")
    manager.tick()
    assert manager.store.deliveries(warning.id)[0].status == "sent"


def test_quiet_hours_hold_a_warning_until_morning_but_not_a_critical(managers, receiver, clock):
    manager = managers(quiet_hours={"night": {"start": "22:00", "end": "08:00"}})
    clock.advance(timedelta(hours=13))  # 23:00 in Shanghai
    warning, critical = manager.handle([finding(clock, rule="crisis_keyword", brand="华为", severity="warning"),
                                        finding(clock)])
    manager.tick()
    assert [r["title"][:4] for r in receiver.received] == ["【严重】"]
    for _ in range(9):  # the warning is still firing every hour of the night, until 08:00
        clock.advance(timedelta(hours=1))
        manager.handle([finding(clock, rule="crisis_keyword", brand="华为", severity="warning")])
        manager.tick()
    assert "免打扰时段 night" in [e.detail for e in manager.store.events(warning.id)]
    sent = [d.step for d in manager.store.deliveries(warning.id) if d.status == "sent"]
    assert sent == ["0.0"]  # at 08:00 the playbook starts from its first step, not from a skipped backlog


def test_quiet_hours_follow_their_own_zone_and_weekdays(managers, receiver, clock):
    manager = managers(quiet_hours={"weekend": {"start": "00:00", "end": "24:00", "days": ["sat", "sun"],
                                                "timezone": "Europe/Berlin"}}, quiet_hours_override="info")
    manager.handle([finding(clock, severity="warning")])
    manager.tick()
    assert receiver.paths() == ["/oncall"]


def test_new_incidents_of_a_brand_notified_moments_ago_wait_and_arrive_together(managers, receiver, clock):
    manager = managers(group_interval="5m")
    manager.handle([finding(clock)])
    manager.tick()
    clock.advance(timedelta(minutes=1))
    manager.handle([finding(clock, rule="a", severity="critical"), finding(clock, rule="b", severity="critical")])
    manager.tick()
    assert len(receiver.received) == 1
    clock.advance(timedelta(minutes=4))
    manager.tick()
    assert len(receiver.received) == 2
    digest = receiver.received[1]
    assert digest["title"] == "【严重】小米 2 起事件"
    assert digest["message"].count("■ 【严重】小米 声量激增") == 2


def test_group_wait_delays_the_whole_playbook(managers, receiver, clock):
    manager = managers(group_wait="1m")
    manager.handle([finding(clock)])
    manager.tick()
    assert receiver.paths() == []
    clock.advance(timedelta(minutes=1))
    manager.tick()
    clock.advance(timedelta(minutes=15))
    manager.tick()
    assert receiver.paths() == ["/oncall", "/lead"]
