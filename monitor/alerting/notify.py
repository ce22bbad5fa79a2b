"""Delivery through apprise, with retries and backoff; the caller records the outcome and picks a fallback."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import apprise

import monitor.alerting.console  # noqa: F401  (registers the console:// channel)
from monitor.alerting.message import Limit
from monitor.config.model import Config


@dataclass(frozen=True)
class Outcome:
    ok: bool
    attempts: int
    error: str | None = None


class Notifier:
    """Sends to named channels; retries with exponential backoff before calling a delivery failed."""

    def __init__(self, config: Config, sleep: Callable[[float], None] = time.sleep) -> None:
        self._config = config
        self._retries = config.alerting.retries
        self._backoff = config.alerting.retry_backoff.total_seconds()
        self._sleep = sleep
        self._limits: dict[str, Limit] = {}

    def limit(self, channel: str) -> Limit:
        """The configured size limit, else the smallest that apprise knows for the channel's services."""
        if channel not in self._limits:
            plugins = [apprise.Apprise.instantiate(url) for url in self._config.channel_urls(channel)]
            known = [p.body_maxlen for p in plugins if p and p.body_maxlen]
            configured = self._config.alerting.channel_limits.get(channel)
            self._limits[channel] = Limit(configured or (min(known) if known else None),
                                          any(p and p.title_maxlen == 0 for p in plugins))
        return self._limits[channel]

    def send(self, channel: str, title: str, body: str) -> Outcome:
        sender = apprise.Apprise()
        for url in self._config.channel_urls(channel):
            sender.add(url)
        error = "apprise reported failure"
        for attempt in range(1, self._retries + 2):
            with apprise.LogCapture(level=apprise.logging.WARNING) as captured:
                ok = bool(sender.notify(title=title, body=body))
            if ok:
                return Outcome(True, attempt)
            error = (captured.getvalue().strip().splitlines() or [error])[-1]
            if attempt <= self._retries:
                self._sleep(self._backoff * 2 ** (attempt - 1))
        return Outcome(False, self._retries + 1, error)
