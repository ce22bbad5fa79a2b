"""The daemon's small HTTP server: /healthz, /metrics, and the ack pages behind the links in every alert.

Served by waitress (a maintained WSGI server) with a socket timeout and size limits, so a slow, broken
or hostile client (a bad Content-Length, a body that never comes) gets a 400/413 or is dropped, and
never holds a worker thread. GET never changes anything (chat apps open links to preview them);
acknowledging takes the page's POST.
"""

from __future__ import annotations

import json
import logging
import threading
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote

from waitress.server import create_server

from monitor import web_mobile
from monitor.alerting.acklink import AckLinkError
from monitor.metrics import CONTENT_TYPE

if TYPE_CHECKING:
    from monitor.daemon import Daemon

log = logging.getLogger(__name__)

MAX_FORM_BYTES = 4096
MAX_HEADER_BYTES = 16 * 1024
SOCKET_TIMEOUT = 20  # seconds a connection may stay idle or trickle before it is closed
THREADS = 4


def parse_bind(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


class Request:
    """What a handler needs of the WSGI environ; `respond` records the answer."""

    def __init__(self, environ: dict) -> None:
        self.environ = environ
        self.method = environ.get("REQUEST_METHOD", "GET")
        self.path = environ.get("PATH_INFO", "") or "/"
        self.query = environ.get("QUERY_STRING", "")
        self.status = 500
        self.headers: list[tuple[str, str]] = []
        self.body = b""

    def form(self) -> dict[str, str] | None:
        """The posted form, or None when it is larger than MAX_FORM_BYTES (waitress already checked
        that Content-Length is a number and read the body within its own limits)."""
        length = int(self.environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_FORM_BYTES:
            return None
        return _query(self.environ["wsgi.input"].read(length).decode("utf-8", errors="replace"))

    def respond(self, status: int, content_type: str, data: bytes) -> None:
        self.status, self.body = status, data
        self.headers = [("Content-Type", content_type), ("Content-Length", str(len(data))),
                        ("Cache-Control", "no-store")]


class Booting:
    """Stands in for the daemon while it loads, so /healthz answers 503 "starting" from the first second."""

    ready = False

    def __init__(self) -> None:
        from monitor.metrics import Metrics

        self.metrics = Metrics()

    def health(self) -> list[str]:
        return ["starting"]

    def warnings(self) -> list[str]:
        return []


class WebServer:
    def __init__(self, daemon: "Daemon | Booting", bind: str) -> None:
        self.daemon = daemon
        host, port = parse_bind(bind)
        self._server = create_server(self.app, host=host, port=port, threads=THREADS, ident="brandmon",
                                     channel_timeout=SOCKET_TIMEOUT, max_request_body_size=MAX_FORM_BYTES * 4,
                                     max_request_header_size=MAX_HEADER_BYTES, connection_limit=100,
                                     expose_tracebacks=False, clear_untrusted_proxy_headers=True)
        self._thread = threading.Thread(target=self._serve, name="http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.effective_host, self._server.effective_port
        return f"http://{host}:{port}"

    def start(self) -> "WebServer":
        self._thread.start()
        return self

    def _serve(self) -> None:
        try:
            self._server.run()
        except OSError:  # the sockets were closed under the loop by stop()
            pass

    def stop(self) -> None:
        """Close the listening socket and every connection, then the worker threads."""
        for channel in list(self._server._map.values()):
            channel.handle_close()
        self._server.task_dispatcher.shutdown(timeout=2)
        self._thread.join(timeout=5)

    # WSGI
    def app(self, environ: dict, start_response):
        req = Request(environ)
        try:
            self._route(req)
        except Exception:  # logged as JSON through the secret masker; the client sees no traceback
            log.exception("http %s %s failed", req.method, req.path)
            _send_page(req, 500, "服务器内部错误", "<p>请稍后再试，或在终端运行 brandmon status。</p>")
        start_response(f"{req.status} {_REASONS.get(req.status, 'Error')}", req.headers)
        return [req.body]

    def _route(self, req: Request) -> None:
        if req.method in ("GET", "HEAD"):
            self._get(req)
        elif req.method == "POST":
            self._post(req)
        else:
            _send_page(req, 405, "不支持的请求", "<p>只支持 GET 与 POST。</p>")
            req.headers.append(("Allow", "GET, HEAD, POST"))

    def _get(self, req: Request) -> None:
        if req.path == "/healthz":
            reasons = self.daemon.health()
            body: dict = {"status": "ok"} if not reasons else {"status": "unhealthy", "reasons": reasons}
            if reasons == ["starting"]:
                body = {"status": "starting", "reasons": reasons}
            warnings = self.daemon.warnings()
            if warnings:
                body["warnings"] = warnings
            req.respond(503 if reasons else 200, "application/json",
                        json.dumps(body, ensure_ascii=False).encode("utf-8"))
        elif req.path == "/metrics":
            req.respond(200, CONTENT_TYPE, self.daemon.metrics.exposition())
        elif req.path.startswith("/ack/"):
            if self._ready(req):
                self._incident_get(req, _query(req.query))
        elif req.path == "/queue":
            if self._ready(req):
                self._queue_get(req, _query(req.query))
        elif req.path.startswith("/reports/"):
            if self._ready(req):
                self._report_get(req, _query(req.query))
        else:
            _send_page(req, 404, "找不到页面", "<p>这里只有 /healthz、/metrics、事件链接和回复队列链接。</p>")

    def _post(self, req: Request) -> None:
        handler = (self._incident_post if req.path.startswith("/ack/")
                   else self._queue_post if req.path == "/queue" else None)
        if handler is None:
            _send_page(req, 404, "找不到页面", "<p>只有事件链接和回复队列链接接受提交。</p>")
            return
        form = req.form()
        if form is None:
            _send_page(req, 413, "提交内容过大", "<p>请只填写姓名和简短说明。</p>")
            return
        if self._ready(req):
            handler(req, {**_query(req.query), **form})

    def _ready(self, req: Request) -> bool:
        if self.daemon.ready:
            return True
        _send_page(req, 503, "正在启动", "<p>brandmon 正在启动，请稍后刷新本页。</p>")
        return False

    # the phone pages (monitor/web_mobile.py): one small handler per route
    def _incident_get(self, req: Request, params: dict[str, str]) -> None:
        _send_mobile(req, web_mobile.incident_page(self.daemon, unquote(req.path[len("/ack/"):]), params))

    def _incident_post(self, req: Request, form: dict[str, str]) -> None:
        _send_mobile(req, web_mobile.incident_post(self.daemon, unquote(req.path[len("/ack/"):]), form))

    def _queue_get(self, req: Request, params: dict[str, str]) -> None:
        _send_mobile(req, web_mobile.queue_page(self.daemon, params))

    def _queue_post(self, req: Request, form: dict[str, str]) -> None:
        _send_mobile(req, web_mobile.queue_post(self.daemon, form))

    def _report_get(self, req: Request, params: dict[str, str]) -> None:
        """A report the chat digest links to: signed like the ack links, one file of state_dir/reports."""
        from monitor.report.send import REPORT_NAME, report_subject, served_report  # charts load only when asked
        name = unquote(req.path[len("/reports/"):])
        links = self.daemon.ack_links
        path = self.daemon.settings.config.state_dir / "reports" / name
        if links is None or not REPORT_NAME.fullmatch(name) or not path.is_file():
            _send_page(req, 404, "找不到报告", "<p>报告不存在或已被清理。</p>")
            return
        try:
            links.verify(report_subject(name), params.get("exp", ""), params.get("sig", ""))
        except AckLinkError:
            _send_page(req, 403, "链接无效或已过期", "<p>请使用群消息中的最新报告链接。</p>")
            return
        req.respond(200, "text/html; charset=utf-8", served_report(path))


def _send_mobile(req: Request, page: "web_mobile.Page") -> None:
    _send_page(req, page.status, page.title, page.body)


def _query(text: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}


PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} · brandmon</title>
<style>{style}</style></head><body><h1>{title}</h1>{body}</body></html>"""


_REASONS = {200: "OK", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 413: "Payload Too Large",
            400: "Bad Request", 500: "Internal Server Error", 503: "Service Unavailable"}


def _send_page(req: Request, status: int, title: str, body: str) -> None:
    html = PAGE.format(title=escape(title), body=body, style=web_mobile.STYLE)
    req.respond(status, "text/html; charset=utf-8", html.encode("utf-8"))
