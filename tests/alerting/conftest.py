"""Real receivers on loopback: an HTTP endpoint for apprise's json:// and an SMTP mailbox."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from monitor.demo.mailbox import Mailbox


class Receiver:
    """Collects what apprise posts; `fail_next` makes the next N requests answer 500, `down` every request to
    those paths."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.fail_next = 0
        self.down: set[str] = set()
        self.refused = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.fail_next > 0 or self.path in receiver.down:
                    receiver.fail_next = max(receiver.fail_next - 1, 0) if self.path not in receiver.down else \
                        receiver.fail_next
                    receiver.refused += 1
                    self.send_response(500)
                else:
                    receiver.received.append({"path": self.path, **json.loads(body)})
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self._server.server_address[1]}/{path}"

    def paths(self) -> list[str]:
        return [r["path"] for r in self.received]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def mailbox(tmp_path):
    box = Mailbox(tmp_path / "mail").start()
    yield box
    box.stop()


@pytest.fixture
def managers(tmp_path, clock, receiver):
    """IncidentManagers over one store, with oncall/lead/backup channels on the receiver and any alerting options."""
    from monitor.alerting.notify import Notifier
    from monitor.alerting.policy import IncidentManager
    from monitor.store.sqlite import SqliteStore
    from tests.alerting.incidents import settings_for

    store = SqliteStore(tmp_path / "policy.sqlite")

    def make(channels: dict[str, str | list[str]] | None = None, **alerting) -> IncidentManager:
        channels = channels or {name: receiver.url(name) for name in ("oncall", "lead", "backup")}
        settings = settings_for(channels, **alerting)
        return IncidentManager(settings, store, Notifier(settings.config, sleep=lambda s: None), clock)

    yield make
    store.close()
