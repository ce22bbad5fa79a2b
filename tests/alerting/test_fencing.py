"""Fencing: two leaders' policies over one store. The one whose lease was taken over (it paused, then came
back thinking it still leads) has its notice claims and new incidents refused; the new leader sends each
step once. A person's ack is never fenced."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.store.base import Fence, FencedOff
from tests.alerting.incidents import finding

LEASE = timedelta(seconds=20)


def test_a_stale_leaders_tick_sends_nothing_and_the_new_leader_sends_each_step_once(managers, receiver, clock):
    stale, leader = managers(), managers()
    store = stale.store
    old = Fence("alerting", store.take_lease("alerting", "a", LEASE, clock.now()))
    stale.dispatcher.fence = lambda: old
    [incident] = stale.handle([finding(clock)])  # opened while "a" held the lease
    clock.advance(timedelta(seconds=30))  # "a" pauses past its lease; "b" takes it over
    new = Fence("alerting", store.take_lease("alerting", "b", LEASE, clock.now()))
    leader.dispatcher.fence = lambda: new
    with pytest.raises(FencedOff):
        stale.tick()  # its first notice claim is refused before anything is sent
    with pytest.raises(FencedOff):
        stale.handle([finding(clock, brand="华为")])  # nor may it open a new incident
    assert receiver.paths() == [] and [i.brand for i in store.incidents()] == ["小米"]
    leader.tick()
    clock.advance(timedelta(minutes=16))
    leader.tick()
    assert receiver.paths() == ["/oncall", "/lead"]
    assert [(d.step, d.status) for d in store.deliveries(incident.id)] == [("0.0", "sent"), ("0.1", "sent")]
    acked = stale.ack(incident.id, "王经理")  # a person acts through any daemon, leader or not
    assert acked.state == "acked"
