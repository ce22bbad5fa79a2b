"""Logging for a daemon that runs unattended: readable text or JSON lines, with secrets masked in both."""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlsplit
from datetime import datetime, timezone

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # kept out of `brandmon --help`'s imports
    from monitor.config.model import Config

# user:password@ in any URL, whether or not we know the URL
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^\s/:@]+:)(?P<secret>[^\s@/]+)(?=@)", re.I)
_TOKEN_SPLIT = re.compile(r"[/:@?&=,]+")
# the signature of an ack link: whoever reads the log line could acknowledge the incident
_ACK_SIGNATURE = re.compile(r"(?P<head>[?&](?:amp;)?sig=)(?P<secret>[A-Za-z0-9_\-%.~]+)")
# a line break inside a message would let user input forge log lines in the text format
_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
MASK = "****"
_GENERIC_WEBHOOKS = {"json", "form", "xml", "http", "apprise"}
MIN_SECRET = 6


class SecretMasker(logging.Filter):
    """Rewrites each record so known secrets never reach a log line; apprise URLs become their privacy form."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._pairs: list[tuple[str, str]] = []

    def learn(self, config: Config) -> None:
        """Replace the known secrets with those of this config (called at start and on every reload)."""
        pairs: list[tuple[str, str]] = []
        for name in config.channels:
            for url in config.channel_urls(name):
                pairs += _apprise_secrets(url)
        for secret in (config.http.ack_secret, getattr(config.store.elasticsearch, "password", None)):
            if secret:
                pairs.append((secret, MASK))
        pairs.sort(key=lambda p: len(p[0]), reverse=True)  # whole URLs before their parts
        with self._lock:
            self._pairs = pairs

    def mask(self, text: str) -> str:
        with self._lock:
            pairs = self._pairs
        for secret, replacement in pairs:
            text = text.replace(secret, replacement)
        text = _ACK_SIGNATURE.sub(lambda m: m["head"] + MASK, text)
        return _URL_PASSWORD.sub(lambda m: m["head"] + MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.mask(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        return True


@contextmanager
def apprise_silent() -> Iterator[None]:
    """Apprise logs every URL it loads, in clear, at debug level: keep it quiet while loading a URL the
    masker does not know yet."""
    logger = logging.getLogger("apprise")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


def _apprise_secrets(url: str) -> list[tuple[str, str]]:
    """The URL as written and as apprise prints it map to the privacy URL; tokens only the full URL has are secrets."""
    import apprise

    with apprise_silent():
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if not plugin:
        return [(url, _URL_PASSWORD.sub(lambda m: m["head"] + MASK, url))] if len(url) >= MIN_SECRET else []
    private, public = plugin.url(privacy=True), plugin.url()
    shown = set(_TOKEN_SPLIT.split(private))
    pairs = [(url, private), (public, private)]
    pairs += [(token, MASK) for token in set(_TOKEN_SPLIT.split(public) + _TOKEN_SPLIT.split(url))
              if len(token) >= MIN_SECRET and token not in shown and token not in private]
    # a generic webhook (json://, form://, xml://) keeps its path in the privacy form, yet a path is
    # where webhook keys live: every path segment and query value of such a URL is masked too
    parsed = urlsplit(url)
    if parsed.scheme.lower().rstrip("s") in _GENERIC_WEBHOOKS:
        values = [v for _, v in parse_qsl(parsed.query)] + parsed.path.split("/")
        pairs += [(token, MASK) for token in values if len(token) >= MIN_SECRET]
    return pairs


MASKER = SecretMasker()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (UTC), level, logger, msg, and exc when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class TextFormatter(logging.Formatter):
    """One record, one line (its traceback aside): line breaks in the message are shown as \\n."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = _LINE_BREAKS.sub(lambda m: repr(m.group())[1:-1], record.message)
        return super().formatMessage(record)


def setup_logging(level: str = "WARNING", fmt: str = "text") -> None:
    """Send every log record to stderr in the chosen format, through the secret masker."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter(TEXT_FORMAT))
    handler.addFilter(MASKER)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
