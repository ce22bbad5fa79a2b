"""Exactly one alerting leader among the daemons sharing a store.

Several `brandmon run` processes (on several machines, one Elasticsearch) may crawl side by side,
but only one may evaluate rules, escalate and send reports, or every alert would go out once per
daemon. The leader holds a lease in the store and renews it every few seconds; a leader that dies
or loses the store stops renewing, its lease runs out, and another daemon takes it over (with a
larger fencing token). A daemon stops acting as leader a quarter of the lease before it would run
out, so two never act at once unless their clocks disagree by more than that; and should one pause
past its lease and wake up mid-tick, the writes that matter (claiming a notice in the notification log,
opening an incident) carry its token and the store refuses them (`Fence`, `FencedOff`).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import timedelta

from monitor.clock import Clock
from monitor.store.base import Fence, Store

log = logging.getLogger(__name__)

LEASE = "alerting"


class Leadership:
    def __init__(self, store: Store, clock: Clock, ttl: timedelta, name: str = LEASE) -> None:
        self.store, self.clock, self.ttl, self.name = store, clock, ttl, name
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.token: int | None = None
        self._until = 0.0  # monotonic time until which this daemon may act as leader

    def renew(self) -> bool:
        """Take or keep the lease; True while this daemon leads."""
        started = time.monotonic()
        try:
            token = self.store.take_lease(self.name, self.holder, self.ttl, self.clock.now())
        except Exception as exc:  # the store is away: stop leading before the lease runs out
            log.warning("could not renew the alerting lease: %s", exc)
            token = None
        if token is not None and token != self.token:
            log.warning("this daemon (%s) is now the alerting leader, fencing token %d", self.holder, token)
        elif token is None and self.token is not None:
            log.warning("this daemon (%s) is no longer the alerting leader", self.holder)
        self.token = token
        self._until = started + self.ttl.total_seconds() * 0.75 if token is not None else 0.0
        return token is not None

    def leading(self) -> bool:
        return self.token is not None and time.monotonic() < self._until

    def fence(self) -> Fence | None:
        """What the leader's writes carry (notification log, new incidents): refused once the lease moved on."""
        return Fence(self.name, self.token) if self.token is not None else None

    def fenced_off(self, why: str) -> None:
        log.warning("this daemon (%s) was fenced off as alerting leader: %s", self.holder, why)
        self.token, self._until = None, 0.0
