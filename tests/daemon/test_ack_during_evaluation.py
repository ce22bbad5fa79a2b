"""Acks and escalation ticks take the policy lock only briefly: a long rule cycle never holds them up."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from monitor.alerting.playbook import freeze
from monitor.config import load_settings
from monitor.daemon import Daemon
from monitor.incident import ACKED, OPEN, Incident
from tests.daemon.conftest import daemon_config

WAIT = 60.0  # generous: only reached when the behaviour is broken


@pytest.fixture
def daemon(site, receiver, tmp_path):
    d = Daemon(load_settings(daemon_config(tmp_path, site, receiver)))
    assert d.leader.renew()  # the only daemon: it leads
    yield d
    d.nlp.close()
    d.monitor.close()
    d.lock.release()


def _slow_rules(daemon: Daemon) -> tuple[threading.Event, threading.Event]:
    """Make the rules take as long as the test wants: they start, then wait to be released."""
    started, release = threading.Event(), threading.Event()
    detect = daemon.monitor.detect

    def slow():
        started.set()
        release.wait(WAIT)
        return detect()

    daemon.monitor.detect = slow
    return started, release


def _open_incident(daemon: Daemon) -> Incident:
    now = datetime.now(timezone.utc) + timedelta(days=1)  # its playbook is not due before the test ends
    incident = Incident(id="INC-LOCK-1", fingerprint="spike|星河手机|", rule="spike", brand="星河手机",
                        severity="critical", title="星河手机 声量激增", playbook=freeze(daemon.settings.playbooks["critical"]),
                        opened_at=now, last_seen_at=now, state=OPEN, figures={"count": 9})
    daemon.store.save_incident(incident)
    return incident


def test_an_ack_goes_through_while_a_rule_cycle_is_still_running(daemon):
    incident = _open_incident(daemon)
    started, release = _slow_rules(daemon)
    cycle = threading.Thread(target=daemon.evaluate)
    cycle.start()
    try:
        assert started.wait(WAIT)
        acked: list[Incident] = []
        ack = threading.Thread(target=lambda: acked.append(daemon.ack(incident.id, "王经理")))
        ack.start()
        ack.join(WAIT)
        assert acked and cycle.is_alive(), "the ack waited for the rule cycle"
        assert (acked[0].state, acked[0].acked_by) == (ACKED, "王经理")
        assert daemon.store.get_incident(incident.id).state == ACKED
    finally:
        release.set()
        cycle.join(WAIT)


def test_an_escalation_tick_runs_while_a_rule_cycle_is_still_running(daemon):
    started, release = _slow_rules(daemon)
    cycle = threading.Thread(target=daemon.evaluate)
    cycle.start()
    try:
        assert started.wait(WAIT)
        tick = threading.Thread(target=daemon.tick)
        tick.start()
        tick.join(WAIT)
        assert not tick.is_alive() and cycle.is_alive()
    finally:
        release.set()
        cycle.join(WAIT)
