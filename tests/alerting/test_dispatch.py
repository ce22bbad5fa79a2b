"""The dispatcher: retries with backoff per URL, order per lane, catch-up after downtime, removed channels."""

from __future__ import annotations

from datetime import timedelta

from monitor.alerting.notify import Notifier
from monitor.alerting.policy import IncidentManager
from tests.alerting.incidents import finding, settings_for
from tests.es.node import elastic_store, es, es_prefix, es_url  # noqa: F401  (fixtures)

ONCALL_TWICE = [{"notify": ["oncall"]}, {"after": "1m", "notify": ["oncall", "lead"]}]


def labels(receiver, path: str) -> list[str]:
    """The 级别 line of every message a path received, in arrival order."""
    return [next(line for line in r["message"].splitlines() if line.startswith("级别："))
            for r in receiver.received if r["path"] == path]


def ticks(manager, clock, minutes: float, every: float = 15) -> None:
    for _ in range(int(minutes * 60 / every)):
        manager.tick()
        clock.advance(timedelta(seconds=every))


def test_a_url_that_fails_for_two_minutes_gets_its_first_notice_once_when_it_returns(managers, receiver, clock):
    manager = managers()
    receiver.down = {"/oncall"}
    [incident] = manager.handle([finding(clock)])
    ticks(manager, clock, 2)
    assert receiver.paths() == []
    [row] = manager.store.deliveries(incident.id)
    assert row.status == "retrying" and row.attempts >= 3
    receiver.down = set()
    ticks(manager, clock, 6)
    assert labels(receiver, "/oncall") == ["级别：严重（首次通知）"]
    assert [(d.step, d.status) for d in manager.store.deliveries(incident.id)] == [("0.0", "sent")]
    kinds = [e.kind for e in manager.store.events(incident.id)]
    assert kinds.count("delivery_failed") == 1 and kinds.count("notified") == 1


def test_retries_back_off_up_to_the_configured_ceiling(managers, receiver, clock):
    manager = managers(retries=0, retry_backoff="10s", retry_max_backoff="1m")
    receiver.down = {"/oncall"}
    [incident] = manager.handle([finding(clock)])
    ticks(manager, clock, 10, every=5)
    # attempts at 0 s, then 20 s and 40 s apart, then every 60 s: 0, 20, 60, 120, 180 … 540
    [row] = manager.store.deliveries(incident.id)
    assert (row.status, row.attempts, row.at - incident.opened_at) == ("retrying", 11, timedelta(seconds=540))


def test_an_escalation_never_reaches_a_person_before_the_first_notice(managers, receiver, clock):
    manager = managers(steps=ONCALL_TWICE)
    receiver.down = {"/oncall"}
    manager.handle([finding(clock)])
    ticks(manager, clock, 3)
    assert labels(receiver, "/lead") == ["级别：严重（第 1 级升级）"]
    receiver.down = set()
    ticks(manager, clock, 6)
    assert labels(receiver, "/oncall") == ["级别：严重（首次通知）", "级别：严重（第 1 级升级）"]


def test_a_multi_url_channel_sends_once_to_the_healthy_url_and_falls_back_only_for_the_broken_one(
        managers, receiver, clock):
    manager = managers({"oncall": [receiver.url("oncall-a"), receiver.url("oncall-b")], "lead": receiver.url("lead"),
                        "backup": receiver.url("backup")}, steps=[{"notify": ["oncall"]}],
                       fallback_channel="backup", give_up_after="30m")
    receiver.down = {"/oncall-b"}
    [incident] = manager.handle([finding(clock)])
    ticks(manager, clock, 31)
    assert labels(receiver, "/oncall-a") == ["级别：严重（首次通知）"]
    assert labels(receiver, "/backup") == ["级别：严重（首次通知（oncall 投递失败，由备用通道转发））"]
    statuses = sorted((d.step, d.channel.split("#")[0], d.status) for d in manager.store.deliveries(incident.id))
    assert statuses == [("0.0", "oncall", "failed"), ("0.0", "oncall", "sent"),
                        ("0.0/fallback:oncall", "backup", "sent")]
    assert "gave_up" in [e.kind for e in manager.store.events(incident.id)]


def test_after_downtime_each_recipient_gets_one_catch_up_naming_the_steps_it_missed(managers, receiver, clock):
    steps = [{"notify": ["oncall"]}, {"after": "10m", "notify": ["oncall", "lead"]},
             {"after": "20m", "notify": ["oncall"]}]
    manager = managers(steps=steps)
    [incident] = manager.handle([finding(clock)])
    clock.advance(timedelta(minutes=45))  # the daemon was down
    manager.tick()
    manager.tick()
    assert labels(receiver, "/oncall") == ["级别：严重（第 2 级升级（补发：首次通知、第 1 级升级））"]
    assert labels(receiver, "/lead") == ["级别：严重（第 1 级升级）"]
    log = sorted((d.step, d.channel, d.status) for d in manager.store.deliveries(incident.id))
    assert log == [("0.0", "oncall", "skipped"), ("0.1", "lead", "sent"), ("0.1", "oncall", "skipped"),
                   ("0.2", "oncall", "sent")]


def test_a_catch_up_notice_that_fails_is_retried_as_the_same_catch_up(managers, receiver, clock):
    manager = managers(steps=[{"notify": ["oncall"]}, {"after": "10m", "notify": ["oncall"]}])
    [incident] = manager.handle([finding(clock)])
    clock.advance(timedelta(minutes=30))
    receiver.down = {"/oncall"}
    manager.tick()
    receiver.down = set()
    ticks(manager, clock, 1)
    assert labels(receiver, "/oncall") == ["级别：严重（第 1 级升级（补发：首次通知））"]
    assert sorted((d.step, d.status, d.attempts) for d in manager.store.deliveries(incident.id)) == [
        ("0.0", "skipped", 0), ("0.1", "sent", 2)]


def test_a_step_due_as_the_daemon_starts_goes_out_as_itself(managers, receiver, clock):
    manager = managers(steps=ONCALL_TWICE)
    manager.handle([finding(clock)])
    manager.tick()
    clock.advance(timedelta(minutes=1, seconds=5))  # a restart took a few seconds around the step's due time
    restarted = IncidentManager(manager.settings, manager.store, manager.notifier, clock)
    restarted.tick()
    assert labels(receiver, "/oncall") == ["级别：严重（首次通知）", "级别：严重（第 1 级升级）"]


def test_a_reload_that_removes_a_channel_sends_its_steps_to_the_fallback_and_says_so(managers, receiver, clock):
    manager = managers(fallback_channel="backup")
    [incident] = manager.handle([finding(clock)])
    manager.tick()
    reloaded = settings_for({"oncall": receiver.url("oncall"), "backup": receiver.url("backup")},
                            fallback_channel="backup")
    manager = IncidentManager(reloaded, manager.store, Notifier(reloaded.config, sleep=lambda s: None), clock)
    clock.advance(timedelta(minutes=15))
    manager.tick()
    manager.tick()
    assert receiver.paths() == ["/oncall", "/backup"]
    assert labels(receiver, "/backup") == ["级别：严重（第 1 级升级（lead 投递失败，由备用通道转发））"]
    removed = [e.detail for e in manager.store.events(incident.id) if e.kind == "channel_removed"]
    assert removed == ["第 1 级升级：通道 lead 已从配置中删除，改发备用通道 backup"]


def test_a_removed_channel_without_a_fallback_is_recorded_and_the_tick_goes_on(managers, receiver, clock):
    manager = managers()
    [incident] = manager.handle([finding(clock)])
    manager.tick()
    reloaded = settings_for({"oncall": receiver.url("oncall")})
    manager = IncidentManager(reloaded, manager.store, Notifier(reloaded.config, sleep=lambda s: None), clock)
    clock.advance(timedelta(minutes=15))
    manager.tick()
    rows = {(d.step, d.channel): (d.status, d.error) for d in manager.store.deliveries(incident.id)}
    assert rows[("0.1", "lead")] == ("failed", "channel removed from the config")
    assert [e.detail for e in manager.store.events(incident.id) if e.kind == "channel_removed"] == [
        "第 1 级升级：通道 lead 已从配置中删除，未配置备用通道，无法送达"]


def test_the_elasticsearch_log_carries_retries_order_and_catch_up_like_the_embedded_one(
        elastic_store, receiver, clock):
    settings = settings_for({n: receiver.url(n) for n in ("oncall", "lead", "backup")}, steps=ONCALL_TWICE)
    manager = IncidentManager(settings, elastic_store, Notifier(settings.config, sleep=lambda s: None), clock)
    receiver.down = {"/oncall"}
    [incident] = manager.handle([finding(clock)])
    ticks(manager, clock, 3)
    receiver.down = set()
    ticks(manager, clock, 3)
    assert labels(receiver, "/oncall") == ["级别：严重（首次通知）", "级别：严重（第 1 级升级）"]
    assert sorted((d.step, d.channel, d.status) for d in elastic_store.deliveries(incident.id)) == [
        ("0.0", "oncall", "sent"), ("0.1", "lead", "sent"), ("0.1", "oncall", "sent")]
