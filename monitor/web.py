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
from urllib.parse import parse_qs, quote, unquote

from waitress.server import create_server

from monitor.alerting.acklink import AckLinkError
from monitor.alerting.message import SEVERITY_ZH, STATE_ZH
from monitor.incident import ACKED, OPEN
from monitor.metrics import CONTENT_TYPE
from monitor.sanitize import clean_name

if TYPE_CHECKING:
    from monitor.daemon import Daemon

log = logging.getLogger(__name__)

MAX_FORM_BYTES = 4096
MAX_HEADER_BYTES = 16 * 1024
SOCKET_TIMEOUT = 20  # seconds a connection may stay idle or trickle before it is closed
THREADS = 4
DEFAULT_ACTOR = "ack-link"
REASONS_ZH = {"invalid signature": "链接签名不符（可能被改动或伪造）", "link expired": "链接已过期",
              "malformed link": "链接格式不正确"}


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
                self._ack_page(req, _query(req.query))
        else:
            _send_page(req, 404, "找不到页面", "<p>这里只有 /healthz、/metrics 和事件确认链接。</p>")

    def _post(self, req: Request) -> None:
        if not req.path.startswith("/ack/"):
            _send_page(req, 404, "找不到页面", "<p>只有事件确认链接接受提交。</p>")
            return
        form = req.form()
        if form is None:
            _send_page(req, 413, "提交内容过大", "<p>请只填写姓名。</p>")
            return
        if self._ready(req):
            self._ack(req, {**_query(req.query), **form})

    def _ready(self, req: Request) -> bool:
        if self.daemon.ready:
            return True
        _send_page(req, 503, "正在启动", "<p>brandmon 正在启动，请稍后刷新本页。</p>")
        return False

    # acknowledgement
    def _verified(self, req: Request, params: dict[str, str]):
        """The incident the link names, or None after answering with the reason it cannot be used."""
        links = self.daemon.ack_links
        if links is None:
            _send_page(req, 404, "确认链接未启用", "<p>请在配置的 http 中设置 public_url 与 ack_secret。</p>")
            return None
        incident_id = unquote(req.path[len("/ack/"):])
        try:
            links.verify(incident_id, params.get("exp", ""), params.get("sig", ""))
        except AckLinkError as exc:
            reason = REASONS_ZH.get(str(exc), str(exc))
            _send_page(req, 403, "无法确认", f"<p>{escape(reason)}，此链接不能用于确认事件。</p>"
                       f"<p>请使用告警消息中的最新链接，或在终端运行：<code>brandmon ack {escape(incident_id)}</code></p>")
            return None
        incident = self.daemon.store.get_incident(incident_id)
        if incident is None:
            _send_page(req, 404, "找不到事件", f"<p>没有编号为 {escape(incident_id)} 的事件。</p>")
        return incident

    def _ack_page(self, req: Request, params: dict[str, str]) -> None:
        incident = self._verified(req, params)
        if incident is None:
            return
        zone = self.daemon.settings.config.zone
        facts = (f"<p class='title'>{escape(incident.title)}</p><ul>"
                 f"<li>编号：{escape(incident.id)}</li><li>品牌：{escape(incident.brand)}</li>"
                 f"<li>级别：{escape(SEVERITY_ZH.get(incident.severity, incident.severity))}</li>"
                 f"<li>开始：{incident.opened_at.astimezone(zone):%Y-%m-%d %H:%M}（{escape(zone.key)}）</li>"
                 f"<li>状态：{escape(STATE_ZH.get(incident.state, incident.state))}</li></ul>")
        if incident.state != OPEN:
            _send_page(req, 200, "事件已处理", facts + _settled(incident, zone))
            return
        action = f"/ack/{quote(incident.id)}"
        form = (f"<form method='post' action='{escape(action)}'>"
                f"<input type='hidden' name='exp' value='{escape(params.get('exp', ''))}'>"
                f"<input type='hidden' name='sig' value='{escape(params.get('sig', ''))}'>"
                "<label>您的名字（可选）<input name='by' maxlength='40'></label>"
                "<button type='submit'>确认，我来处理</button></form>"
                "<p class='hint'>确认后升级通知停止；事件仍保持打开，直到恢复。</p>")
        _send_page(req, 200, "确认舆情事件", facts + form)

    def _ack(self, req: Request, form: dict[str, str]) -> None:
        incident = self._verified(req, form)
        if incident is None:
            return
        by = clean_name(form.get("by")) or DEFAULT_ACTOR
        incident = self.daemon.ack(incident.id, by)
        log.info("incident %s acknowledged through its link by %s", incident.id, by)
        _send_page(req, 200, "已确认", f"<p>{escape(incident.id)} 已确认，升级通知已停止。</p>"
                   + _settled(incident, self.daemon.settings.config.zone))


def _settled(incident, zone) -> str:
    if incident.state == ACKED and incident.acked_at:
        return (f"<p>由 {escape(incident.acked_by or '未知')} 于 "
                f"{incident.acked_at.astimezone(zone):%Y-%m-%d %H:%M} 确认。</p>")
    return f"<p>事件{escape(STATE_ZH.get(incident.state, incident.state))}，无需再确认。</p>"


def _query(text: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}


PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} · brandmon</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.6}}
.title{{font-weight:bold}} button{{font-size:1.1rem;padding:.5rem 1.5rem;margin-top:.5rem}}
input{{margin-left:.5rem}} .hint{{color:#666;font-size:.9rem}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"""


_REASONS = {200: "OK", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 413: "Payload Too Large",
            500: "Internal Server Error", 503: "Service Unavailable"}


def _send_page(req: Request, status: int, title: str, body: str) -> None:
    html = PAGE.format(title=escape(title), body=body)
    req.respond(status, "text/html; charset=utf-8", html.encode("utf-8"))
