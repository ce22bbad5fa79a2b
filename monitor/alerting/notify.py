"""Delivery to one URL through apprise, with a few quick retries; the dispatcher records the outcome.

A channel is a name for one or more apprise URLs. Each URL is its own delivery target, so a channel
with a healthy and a broken URL sends once to the healthy one and retries only the broken one.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import apprise

import monitor.alerting.console  # noqa: F401  (registers the console:// channel)
import monitor.alerting.plugins  # noqa: F401  (registers the signed Feishu/Lark and WeCom @ plugins)
from monitor.alerting.message import Shape
from monitor.config.model import Config

# Bots that count UTF-8 bytes, not characters: (schema, format) → bytes.
BYTE_LIMITS = {("wecombot", "text"): 2048, ("wecomat", "text"): 2048, ("wecomat", "markdown"): 4096}
NOTIFY_TYPES = {"critical": apprise.NotifyType.FAILURE, "warning": apprise.NotifyType.WARNING,
                "info": apprise.NotifyType.INFO}


@dataclass(frozen=True)
class Target:
    """One URL of a channel. `key` names it in the notification log: the channel name when the channel has
    one URL, else the name plus a short digest of the URL (stable when URLs are reordered)."""

    channel: str
    url: str
    key: str


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    format: str = apprise.NotifyFormat.TEXT
    severity: str = "info"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    attempts: int
    error: str | None = None


def target_key(channel: str, url: str, urls: tuple[str, ...]) -> str:
    return channel if len(urls) == 1 else f"{channel}#{hashlib.sha1(url.encode()).hexdigest()[:6]}"


def channel_of(key: str) -> str:
    return key.split("#", 1)[0]


class Notifier:
    """Sends one message to one URL; retries quickly (`alerting.retries`, `retry_backoff`) before calling the
    attempt failed. Longer outages are the dispatcher's business: it retries on later ticks."""

    def __init__(self, config: Config, sleep: Callable[[float], None] = time.sleep) -> None:
        self._config = config
        self._retries = config.alerting.retries
        self._backoff = config.alerting.retry_backoff.total_seconds()
        self._sleep = sleep
        self._plugins: dict[str, object] = {}

    def targets(self, channel: str) -> list[Target] | None:
        """The channel's URLs, or None when the running config no longer has the channel."""
        if channel not in self._config.channels:
            return None
        urls = self._config.channel_urls(channel)
        return [Target(channel, url, target_key(channel, url, urls)) for url in urls]

    def _plugin(self, url: str):
        if url not in self._plugins:
            self._plugins[url] = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        return self._plugins[url]

    def shape(self, target: Target) -> Shape:
        """How a message must look for this URL: HTML for mail, a size in characters or bytes, a keyword."""
        plugin = self._plugin(target.url)
        formats = getattr(plugin, "notify_format", apprise.NotifyFormat.TEXT)
        formats = formats if isinstance(formats, tuple) else (formats,)
        html = formats[0] == apprise.NotifyFormat.HTML
        schema = target.url.split("://", 1)[0].lower()
        byte_limit = BYTE_LIMITS.get((schema, "text"))
        configured = self._config.alerting.channel_limits.get(target.channel)
        known = getattr(plugin, "body_maxlen", None) or None
        return Shape(body=configured or byte_limit or (None if html else known),
                     title_in_body=bool(plugin) and plugin.title_maxlen == 0,
                     unit="bytes" if byte_limit else "chars", html=html,
                     keyword=self._config.alerting.channel_keywords.get(target.channel))

    def send(self, target: Target, message: Message) -> Outcome:
        error = "apprise reported failure"
        for attempt in range(1, self._retries + 2):
            sender = apprise.Apprise()  # a fresh plugin: apprise throttles a reused one (mail: ~5 s per call)
            if not sender.add(target.url):
                return Outcome(False, attempt, f"apprise cannot read the URL of channel {target.channel}")
            with apprise.LogCapture(level=apprise.logging.WARNING) as captured:
                ok = bool(sender.notify(title=message.title, body=message.body, body_format=message.format,
                                        notify_type=NOTIFY_TYPES.get(message.severity, apprise.NotifyType.INFO)))
            if ok:
                return Outcome(True, attempt)
            error = (captured.getvalue().strip().splitlines() or [error])[-1].split(" - ", 2)[-1]
            if attempt <= self._retries:
                self._sleep(self._backoff * 2 ** (attempt - 1))
        return Outcome(False, self._retries + 1, error)
