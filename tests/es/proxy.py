"""A loopback HTTP proxy in front of the real node that can play a busy or a vanished cluster:
`busy(n, status)` answers the next n bulk requests with that status, `busy_with(text, status)` every bulk
request whose body holds `text` (one chunk of a batch) until `busy_with(None)`, `down()` stops listening
(connections are refused), `up()` listens again on the same port. It counts what it forwarded, per path."""

from __future__ import annotations

import http.client
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse


class FaultProxy:
    def __init__(self, target: str) -> None:
        parsed = urlparse(target)
        self.target = (parsed.hostname, parsed.port)
        self.port = 0
        self.bulk_requests = 0
        self.requests: Counter[str] = Counter()  # path without the query → requests
        self._busy: list[int] = []
        self._busy_with: tuple[bytes, int] | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def busy(self, times: int, status: int = 429) -> None:
        with self._lock:
            self._busy = [status] * times

    def busy_with(self, text: str | None, status: int = 503) -> None:
        with self._lock:
            self._busy_with = (text.encode("utf-8"), status) if text is not None else None

    def up(self) -> "FaultProxy":
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                is_bulk = self.path.split("?")[0].endswith("/_bulk")
                with proxy._lock:
                    proxy.bulk_requests += is_bulk
                    proxy.requests[self.path.split("?")[0]] += 1
                    status = proxy._busy.pop(0) if is_bulk and proxy._busy else None
                    if is_bulk and proxy._busy_with and proxy._busy_with[0] in body:
                        status = proxy._busy_with[1]
                if status:
                    self._answer(status, b'{"error":{"type":"es_rejected_execution_exception","reason":"busy"},'
                                 b'"status":%d}' % status, {"content-type": "application/json"})
                    return
                upstream = http.client.HTTPConnection(*proxy.target, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                upstream.request(self.command, self.path, body=body or None, headers=headers)
                reply = upstream.getresponse()
                data = reply.read()
                upstream.close()
                self._answer(reply.status, data, {k.lower(): v for k, v in reply.getheaders()
                                                   if k.lower() == "content-type"})

            def _answer(self, status: int, data: bytes, headers: dict) -> None:
                self.send_response(status)
                for key, value in {**headers, "x-elastic-product": "Elasticsearch"}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _relay

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True).start()
        return self

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
