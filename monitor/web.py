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
from urllib.parse import parse_qs, quote, unquote, urlparse

from monitor.alerting.acklink import AckLinkError
from monitor.alerting.message import SEVERITY_ZH, STATE_ZH
from monitor.incident import ACKED, OPEN
from monitor.metrics import CONTENT_TYPE

if TYPE_CHECKING:
    from monitor.daemon import Daemon

log = logging.getLogger(__name__)

MAX_FORM_BYTES = 4096
DEFAULT_ACTOR = "ack-link"
REASONS_ZH = {"invalid signature": "链接签名不符（可能被改动或伪造）", "link expired": "链接已过期",
              "malformed link": "链接格式不正确"}


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
            self._ack_page(req, parsed, _query(parsed.query))
        else:
            _send_page(req, 404, "找不到页面", "<p>这里只有 /healthz、/metrics 和事件确认链接。</p>")

    def _post(self, req: BaseHTTPRequestHandler) -> None:
        parsed = urlparse(req.path)
        if not parsed.path.startswith("/ack/"):
            _send_page(req, 404, "找不到页面", "<p>只有事件确认链接接受提交。</p>")
            return
        length = int(req.headers.get("Content-Length") or 0)
        if length > MAX_FORM_BYTES:
            _send_page(req, 413, "提交内容过大", "<p>请只填写姓名。</p>")
            return
        form = {**_query(parsed.query), **_query(req.rfile.read(length).decode("utf-8", errors="replace"))}
        self._ack(req, parsed, form)

    # acknowledgement
    def _verified(self, req, parsed, params: dict[str, str]):
        """The incident the link names, or None after answering with the reason it cannot be used."""
        links = self.daemon.ack_links
        if links is None:
            _send_page(req, 404, "确认链接未启用", "<p>请在配置的 http 中设置 public_url 与 ack_secret。</p>")
            return None
        incident_id = unquote(parsed.path[len("/ack/"):])
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

    def _ack_page(self, req, parsed, params: dict[str, str]) -> None:
        incident = self._verified(req, parsed, params)
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

    def _ack(self, req, parsed, form: dict[str, str]) -> None:
        incident = self._verified(req, parsed, form)
        if incident is None:
            return
        by = (form.get("by") or "").strip()[:40] or DEFAULT_ACTOR
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


def _send_page(req: BaseHTTPRequestHandler, status: int, title: str, body: str) -> None:
    html = PAGE.format(title=escape(title), body=body)
    _send(req, status, "text/html; charset=utf-8", html.encode("utf-8"))


def _send(req: BaseHTTPRequestHandler, status: int, content_type: str, data: bytes) -> None:
    req.send_response(status)
    req.send_header("Content-Type", content_type)
    req.send_header("Content-Length", str(len(data)))
    req.send_header("Cache-Control", "no-store")
    req.end_headers()
    req.wfile.write(data)
