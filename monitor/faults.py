"""What is broken right now, per component, for /healthz, /metrics and the log.

A fault is logged once when it starts and once when it clears, with how many failures it counted in
between and the last reason: an outage of minutes is two log lines, not hundreds of tracebacks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass
class Fault:
    reason: str
    since: float  # monotonic
    count: int = 1


class Faults:
    def __init__(self, on_change: Callable[[str, bool], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}
        self._on_change = on_change

    def fail(self, component: str, reason: str, exc: BaseException | None = None) -> None:
        """Record one failure; the first of a run is logged, with `exc`'s traceback."""
        with self._lock:
            fault = self._faults.get(component)
            if fault is not None:  # still failing: the latest reason is shown, the failure counted
                fault.reason = reason
                fault.count += 1
                return
            self._faults[component] = Fault(reason, time.monotonic())
        log.error("%s failing: %s", component, reason, exc_info=exc)
        if self._on_change:
            self._on_change(component, False)

    def ok(self, component: str) -> None:
        with self._lock:
            fault = self._faults.pop(component, None)
        if fault is None:
            return
        log.warning("%s recovered after %d failures in %.0f s (last: %s)", component, fault.count,
                    time.monotonic() - fault.since, fault.reason)
        if self._on_change:
            self._on_change(component, True)

    def down(self, component: str) -> bool:
        with self._lock:
            return component in self._faults

    def reasons(self) -> list[str]:
        with self._lock:
            return [f"{name}: {f.reason}" for name, f in sorted(self._faults.items())]
