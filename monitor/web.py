"""The daemon's small HTTP server: /healthz, /metrics, and the ack pages behind the links in every alert.

GET never changes anything (chat apps open links to preview them); acknowledging takes the page's POST.
"""

from __future__ import annotations

import json
import logging
import threading
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlparse

from monitor import web_mobile
from monitor.metrics import CONTENT_TYPE

if TYPE_CHECKING:
    from monitor.daemon import Daemon

log = logging.getLogger(__name__)

MAX_FORM_BYTES = 4096


def parse_bind(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


class WebServer:
    def __init__(self, daemon: "Daemon", bind: str) -> None:
        self.daemon = daemon
        server = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "brandmon"

            def do_GET(self) -> None:
                server._get(self)

            def do_POST(self) -> None:
                server._post(self)

            def log_message(self, fmt: str, *args) -> None:
                log.debug("http %s " + fmt, self.client_address[0], *args)

        self._httpd = ThreadingHTTPServer(parse_bind(bind), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "WebServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # routing
    def _get(self, req: BaseHTTPRequestHandler) -> None:
        parsed = urlparse(req.path)
        if parsed.path == "/healthz":
            reasons = self.daemon.health()
            body = {"status": "ok"} if not reasons else {"status": "unhealthy", "reasons": reasons}
            _send(req, 503 if reasons else 200, "application/json",
                  json.dumps(body, ensure_ascii=False).encode("utf-8"))
        elif parsed.path == "/metrics":
            _send(req, 200, CONTENT_TYPE, self.daemon.metrics.exposition())
        elif parsed.path.startswith("/ack/"):
            self._incident_get(req, parsed, _query(parsed.query))
        elif parsed.path == "/queue":
            self._queue_get(req, parsed, _query(parsed.query))
        else:
            _send_page(req, 404, "找不到页面", "<p>这里只有 /healthz、/metrics、事件链接和回复队列链接。</p>")

    def _post(self, req: BaseHTTPRequestHandler) -> None:
        parsed = urlparse(req.path)
        handler = (self._incident_post if parsed.path.startswith("/ack/")
                   else self._queue_post if parsed.path == "/queue" else None)
        if handler is None:
            _send_page(req, 404, "找不到页面", "<p>只有事件链接和回复队列链接接受提交。</p>")
            return
        length = int(req.headers.get("Content-Length") or 0)
        if length > MAX_FORM_BYTES:
            _send_page(req, 413, "提交内容过大", "<p>请只填写姓名和简短说明。</p>")
            return
        form = {**_query(parsed.query), **_query(req.rfile.read(length).decode("utf-8", errors="replace"))}
        handler(req, parsed, form)

    # the phone pages (monitor/web_mobile.py): one small handler per route
    def _incident_get(self, req, parsed, params: dict[str, str]) -> None:
        _send_mobile(req, web_mobile.incident_page(self.daemon, unquote(parsed.path[len("/ack/"):]), params))

    def _incident_post(self, req, parsed, form: dict[str, str]) -> None:
        _send_mobile(req, web_mobile.incident_post(self.daemon, unquote(parsed.path[len("/ack/"):]), form))

    def _queue_get(self, req, parsed, params: dict[str, str]) -> None:
        _send_mobile(req, web_mobile.queue_page(self.daemon, params))

    def _queue_post(self, req, parsed, form: dict[str, str]) -> None:
        _send_mobile(req, web_mobile.queue_post(self.daemon, form))


def _send_mobile(req: BaseHTTPRequestHandler, page: "web_mobile.Page") -> None:
    _send_page(req, page.status, page.title, page.body)


def _query(text: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}


PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} · brandmon</title>
<style>{style}</style></head><body><h1>{title}</h1>{body}</body></html>"""


def _send_page(req: BaseHTTPRequestHandler, status: int, title: str, body: str) -> None:
    html = PAGE.format(title=escape(title), body=body, style=web_mobile.STYLE)
    _send(req, status, "text/html; charset=utf-8", html.encode("utf-8"))


def _send(req: BaseHTTPRequestHandler, status: int, content_type: str, data: bytes) -> None:
    req.send_response(status)
    req.send_header("Content-Type", content_type)
    req.send_header("Content-Length", str(len(data)))
    req.send_header("Cache-Control", "no-store")
    req.end_headers()
    req.wfile.write(data)
