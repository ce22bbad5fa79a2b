"""Delivery through apprise, with retries; the caller records the outcome."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import apprise

import monitor.alerting.console  # noqa: F401  (registers the console:// channel)
from monitor.config.model import Config


@dataclass(frozen=True)
class Outcome:
    ok: bool
    attempts: int
    error: str | None = None


class Notifier:
    """Sends to named channels; retries with backoff before calling a delivery failed."""

    def __init__(self, config: Config, retries: int = 2, backoff: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._config = config
        self._retries = retries
        self._backoff = backoff
        self._sleep = sleep

    def send(self, channel: str, title: str, body: str) -> Outcome:
        sender = apprise.Apprise()
        for url in self._config.channel_urls(channel):
            sender.add(url)
        error = None
        for attempt in range(1, self._retries + 2):
            with apprise.LogCapture(level=apprise.logging.WARNING) as captured:
                ok = bool(sender.notify(title=title, body=body))
            if ok:
                return Outcome(True, attempt)
            error = captured.getvalue().strip().splitlines()[-1:] or ["apprise reported failure"]
            error = error[0]
            if attempt <= self._retries:
                self._sleep(self._backoff * 2 ** (attempt - 1))
        return Outcome(False, self._retries + 1, error)
