"""Whole scenarios with the shipped rules and playbooks: a real store, real HTTP receivers, a moving clock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest

from monitor.alerting.notify import Notifier
from monitor.alerting.policy import IncidentManager
from monitor.clock import FakeClock
from monitor.config import load_settings
from monitor.detect.engine import evaluate_rules
from monitor.store import open_store
from tests.conftest import ROOT, write_config
from tests.detect.mentions import T0, hourly_noise, mention

HISTORY = timedelta(weeks=3)
SURGE_AT = T0 + HISTORY + timedelta(hours=3)  # 03:00 in Shanghai, when about one complaint an hour is normal

CONFIG = """
brands:
  - name: 星河手机
channels:
  console: "{console}"
  pr_oncall: "{oncall}"
  pr_manager: "{manager}"
rules_dir: {rules}
state_dir: ./state
"""


@pytest.fixture
def world(tmp_path, rules_copy, receiver):
    """A config over the shipped rules, three weeks of ordinary chatter in its store."""
    path = write_config(tmp_path, CONFIG.format(console=receiver.url("console"), oncall=receiver.url("oncall"),
                                                manager=receiver.url("manager"), rules=rules_copy))
    settings = load_settings(path)
    store = open_store(settings.config)
    store.upsert(hourly_noise(T0, int(HISTORY / timedelta(hours=1)) + 48, mean=2.0)
                 + hourly_noise(T0, int(HISTORY / timedelta(hours=1)) + 48, mean=5.0, label="positive", seed=8))
    yield settings, store, path
    store.close()


def manager_for(settings, store, clock) -> IncidentManager:
    return IncidentManager(settings, store, Notifier(settings.config, sleep=lambda s: None), clock)


def run(settings, store, manager, clock, until, step=timedelta(minutes=5)) -> None:
    while clock.now() < until:
        manager.handle(evaluate_rules(settings, store, clock.now()))
        manager.tick()
        clock.advance(step)


def test_a_quiet_week_with_noise_opens_no_incident(world, receiver):
    settings, store, _ = world
    clock = FakeClock(T0 + HISTORY - timedelta(weeks=1))
    run(settings, store, manager_for(settings, store, clock), clock, T0 + HISTORY, step=timedelta(hours=1))
    assert store.incidents() == []
    assert receiver.received == []


def surge(n: int = 25):
    return [mention(SURGE_AT + timedelta(minutes=i), text="星河X5 黑屏 死机 退货", keywords=("黑屏", "死机"))
            for i in range(n)]


def notified(store) -> list:
    return [i for i in store.incidents() if store.deliveries(i.id)]


def test_a_surge_opens_one_incident_that_escalates_on_schedule_until_acked(world, receiver):
    settings, store, _ = world
    store.upsert(surge())
    clock = FakeClock(SURGE_AT)
    manager = manager_for(settings, store, clock)
    run(settings, store, manager, clock, SURGE_AT + timedelta(minutes=35))
    [incident] = notified(store)
    assert (incident.rule, incident.severity) == ("negative_spike", "critical")
    others = [i for i in store.incidents() if i.id != incident.id]
    assert {i.rule for i in others} == {"new_topic"}  # the same crisis seen by a warning rule (negative_share ships disabled)…
    assert all(i.muted == f"被 {incident.id}（critical）抑制" for i in others)  # …muted by the critical one
    first_alert = min(d.at for d in store.deliveries(incident.id))
    steps = sorted((d.step, d.channel, d.at - first_alert) for d in store.deliveries(incident.id))
    assert steps == [("0.0", "console", timedelta(0)), ("0.0", "pr_oncall", timedelta(0)),
                     ("0.1", "pr_manager", timedelta(minutes=15)), ("0.1", "pr_oncall", timedelta(minutes=15))]
    manager.ack(incident.id, "值班 PR 小王")
    run(settings, store, manager, clock, SURGE_AT + timedelta(hours=2))
    assert len(receiver.received) == 4 and [i.id for i in notified(store)] == [incident.id]
    timeline = [e.kind for e in store.events(incident.id)]
    assert timeline.count("acked") == 1 and "escalated" not in timeline[timeline.index("acked"):]


CHILD = """
import sys, time
from datetime import datetime
from monitor.alerting.notify import Notifier
from monitor.alerting.policy import IncidentManager
from monitor.clock import FakeClock
from monitor.config import load_settings
from monitor.detect.engine import evaluate_rules
from monitor.store import open_store

settings = load_settings(sys.argv[1])
store = open_store(settings.config)
clock = FakeClock(datetime.fromisoformat(sys.argv[2]))
manager = IncidentManager(settings, store, Notifier(settings.config), clock)
manager.handle(evaluate_rules(settings, store, clock.now()))
manager.tick()
print("step sent", flush=True)
time.sleep(60)
"""


def test_a_daemon_killed_mid_escalation_neither_repeats_nor_drops_a_step(world, receiver):
    settings, store, path = world
    store.upsert(surge())
    start = SURGE_AT + timedelta(minutes=30)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), start.isoformat()], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert child.stdout.readline().strip() == "step sent"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert receiver.paths() == ["/console", "/oncall"]
    clock = FakeClock(start + timedelta(minutes=1))
    restarted = manager_for(settings, store, clock)
    run(settings, store, restarted, clock, start + timedelta(minutes=25), step=timedelta(minutes=1))
    assert sorted(receiver.paths()[2:]) == ["/manager", "/oncall"]
    [incident] = notified(store)
    assert sorted((d.step, d.channel, d.status) for d in store.deliveries(incident.id)) == [
        ("0.0", "console", "sent"), ("0.0", "pr_oncall", "sent"),
        ("0.1", "pr_manager", "sent"), ("0.1", "pr_oncall", "sent")]
