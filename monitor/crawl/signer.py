"""Request signing behind one interface: platforms that sign requests in their own JavaScript (Xiaohongshu's
x-s, Douyin's a_bogus, Zhihu's x-zse-96) are signed by running that JavaScript in a real browser.

A BrowserSigner keeps one chromium with the platform's page loaded and asks the page's script for each
request's signature, one request at a time. It starts the browser on first use, starts it again when it
died or after `recycle_after` signatures (a long-lived page grows), and fails a signature that takes longer
than its timeout as SignError, so a crawl counts the request as failed and goes on.
"""

from __future__ import annotations

import atexit
import json
import logging
import threading
from dataclasses import dataclass, field
from typing import Protocol

from monitor.crawl.browser import BrowserError, Chromium

log = logging.getLogger(__name__)


class SignError(RuntimeError):
    """No signature: the browser could not start, died, timed out, or the page's script failed."""


@dataclass(frozen=True)
class Signature:
    """What a signed request adds: headers, and query parameters appended to its URL."""

    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)


class Signer(Protocol):
    def sign(self, url: str, method: str = "GET", body: str = "") -> Signature: ...

    def close(self) -> None: ...


class BrowserSigner:
    """Signs with `script`, a JS function `(url, method, body) => ({headers, params})` (it may return a
    promise), evaluated in the page at `page_url` after it loaded. Thread-safe; requests wait their turn."""

    def __init__(self, page_url: str, script: str, timeout: float = 20.0, recycle_after: int = 500) -> None:
        self.page_url, self.script, self.timeout = page_url, script, timeout
        self.recycle_after = recycle_after
        self.starts = 0  # browsers started (the first, restarts after a death, recycles)
        self.signed = 0
        self._browser: Chromium | None = None
        self._uses = 0
        self._lock = threading.Lock()

    def sign(self, url: str, method: str = "GET", body: str = "") -> Signature:
        with self._lock:
            try:
                browser = self._ready()
                value = browser.evaluate(f"({self.script})({json.dumps(url)}, {json.dumps(method)}, "
                                         f"{json.dumps(body)})", timeout=self.timeout)
            except BrowserError as exc:
                self._drop()  # a browser that timed out or died is not trusted with the next request
                raise SignError(str(exc)) from None
            self._uses += 1
            self.signed += 1
        return _signature(value)

    def _ready(self) -> Chromium:
        browser = self._browser
        if browser is not None and (not browser.alive or self._uses >= self.recycle_after):
            if not browser.alive:
                log.warning("the signing browser for %s died: starting another", self.page_url)
            self._drop()
            browser = None
        if browser is None:
            browser = Chromium(timeout=self.timeout)
            try:
                browser.open(self.page_url)
            except BrowserError:
                browser.close()
                raise
            self._browser, self._uses = browser, 0
            self.starts += 1
        return browser

    def _drop(self) -> None:
        browser, self._browser = self._browser, None
        if browser is not None:
            browser.close()

    def close(self) -> None:
        with self._lock:
            self._drop()


def _signature(value: object) -> Signature:
    if not isinstance(value, dict):
        raise SignError(f"the page's script returned {type(value).__name__}, not {{headers, params}}")
    headers, params = value.get("headers") or {}, value.get("params") or {}
    if not isinstance(headers, dict) or not isinstance(params, dict):
        raise SignError("the page's script returned headers or params that are not objects")
    return Signature({str(k): str(v) for k, v in headers.items()}, {str(k): str(v) for k, v in params.items()})


_signers: dict[tuple[str, str], BrowserSigner] = {}
_signers_lock = threading.Lock()


def signer_for(page_url: str, script: str, timeout: float) -> BrowserSigner:
    """The process's one signer for a platform page: every crawl of every source on it shares the browser."""
    with _signers_lock:
        signer = _signers.get((page_url, script))
        if signer is None:
            signer = _signers[(page_url, script)] = BrowserSigner(page_url, script, timeout)
        return signer


@atexit.register
def close_signers() -> None:
    """Stops every signing browser (the crawl runner's stop, and process exit)."""
    with _signers_lock:
        signers = list(_signers.values())
        _signers.clear()
    for signer in signers:
        signer.close()
