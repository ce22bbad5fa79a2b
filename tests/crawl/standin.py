"""A stand-in platform on loopback, behaving as the signing platforms do: its page computes each request's
signature in its own JavaScript (with a secret made up at start, so no client can know it beforehand), its
API refuses unsigned requests and answers an expired session with a login-wall JSON, and its login page
shows a QR code that a test hook "scans" (what the operator's phone would do).
"""

from __future__ import annotations

import io
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>站点</title></head><body><p>首页</p>
<script>
const SECRET = "%(secret)s";
window.standinSign = function (path) {  // FNV-1a over the secret and the path, as the server checks it
  let h = 0x811c9dc5; const s = SECRET + path;
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return h.toString(16).padStart(8, "0");
};
window.standinHang = () => new Promise(() => {});  // a signer that never answers
</script></body></html>"""

LOGIN = """<!doctype html><html><head><meta charset="utf-8"><title>扫码登录</title></head><body>
<div id="qr" data-payload="%(payload)s"><img id="qr-img" src="/qr.png?token=%(token)s" width="%(size)d"
 height="%(size)d" style="image-rendering: pixelated"></div><p id="state">请用手机扫码</p>
<script>
window.loggedIn = false;
async function poll() {
  const r = await fetch("/login/poll?token=%(token)s", {credentials: "same-origin"});
  const body = await r.json();
  if (body.status === "done") { window.loggedIn = true; document.getElementById("state").textContent = "登录成功"; return; }
  setTimeout(poll, 200);
}
poll();
</script></body></html>"""

ITEMS = [
    {"id": "n3", "desc": "星河手机充电发烫，售后不管", "user": {"nickname": "小林", "id": "u3"}, "time": 1700000300},
    {"id": "n2", "desc": "星河手机新品开箱", "user": {"nickname": "阿青", "id": "u2"}, "time": 1700000200},
    {"id": "n1", "desc": "星河手机拍照样张", "user": {"nickname": "老周", "id": "u1"}, "time": 1700000100},
]


def need_chromium() -> None:
    """Skip without chromium, except in CI, where scripts/test.sh installs it and its absence is a failure."""
    import os

    import pytest

    from monitor.crawl.browser import BrowserError, chromium_binary

    try:
        chromium_binary()
    except BrowserError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc} (scripts/test.sh installs Debian's chromium)")
        pytest.skip(str(exc))


def fnv_sign(secret: str, path: str) -> str:
    h = 0x811C9DC5
    for unit in _units(secret + path):
        h = ((h ^ unit) * 0x01000193) & 0xFFFFFFFF
    return f"{h:08x}"


def _units(text: str) -> list[int]:
    """UTF-16 code units, as JavaScript's charCodeAt counts them."""
    data = text.encode("utf-16-le")
    return [int.from_bytes(data[i:i + 2], "little") for i in range(0, len(data), 2)]


class StandIn:
    def __init__(self, require_login: bool = True, redirect_to_login: bool = False) -> None:
        self.secret = secrets.token_hex(8)
        self.require_login = require_login
        self.redirect_to_login = redirect_to_login  # an ended session: a redirect to the login page, not JSON
        self.sessions: set[str] = set()
        self.tokens: dict[str, str] = {}  # login token → "waiting" | "scanned" | "done"
        self.counts = {"page": 0, "signed": 0, "unsigned": 0, "login_wall": 0, "login_page": 0}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def scan(self, token: str | None = None) -> None:
        """The test hook: the operator's phone scans the QR code (the newest one when no token is given)."""
        with self._lock:
            token = token or list(self.tokens)[-1]
            self.tokens[token] = "scanned"

    def expire_sessions(self) -> None:
        with self._lock:
            self.sessions.clear()

    def __enter__(self) -> "StandIn":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def _count(self, key: str) -> None:
        with self._lock:
            self.counts[key] += 1

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, status: int, body: bytes, kind: str, headers: dict | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, data: dict, headers: dict | None = None) -> None:
                self._send(status, json.dumps(data, ensure_ascii=False).encode(), "application/json", headers)

            def _cookie(self, name: str) -> str | None:
                for part in (self.headers.get("Cookie") or "").split(";"):
                    key, _, value = part.strip().partition("=")
                    if key == name:
                        return value
                return None

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/robots.txt":
                    return self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
                if url.path == "/":
                    standin._count("page")
                    return self._send(200, (PAGE % {"secret": standin.secret}).encode(), "text/html; charset=utf-8")
                if url.path == "/api/search":
                    if self.headers.get("X-Sign") != fnv_sign(standin.secret, self.path):
                        standin._count("unsigned")
                        return self._json(406, {"code": 461, "msg": "签名错误"})
                    standin._count("signed")
                    if standin.require_login and self._cookie("web_session") not in standin.sessions:
                        standin._count("login_wall")
                        if standin.redirect_to_login:
                            return self._send(302, b"", "text/plain", {"Location": "/login?from=api"})
                        return self._json(200, {"code": -100, "success": False, "msg": "登录已过期"})
                    return self._json(200, {"code": 0, "success": True,
                                            "data": {"items": ITEMS, "has_more": False}})
                if url.path == "/login":
                    standin._count("login_page")
                    token = secrets.token_hex(6)
                    with standin._lock:
                        standin.tokens[token] = "waiting"
                    page = LOGIN % {"payload": f"{standin.url}/scan?token={token}", "token": token, "size": 200}
                    return self._send(200, page.encode(), "text/html; charset=utf-8")
                if url.path == "/qr.png":
                    return self._send(200, qr_png(f"{standin.url}/scan?token={query.get('token', '')}"), "image/png")
                if url.path == "/login/poll":
                    token = query.get("token", "")
                    with standin._lock:
                        state = standin.tokens.get(token)
                        if state == "scanned":
                            session = secrets.token_hex(8)
                            standin.sessions.add(session)
                            standin.tokens[token] = "done"
                            cookie = f"web_session={session}; Path=/; Max-Age=86400; HttpOnly"
                            return self._json(200, {"status": "done"}, {"Set-Cookie": cookie})
                    return self._json(200, {"status": state or "unknown"})
                return self._send(404, b"not found", "text/plain")

        return Handler


def qr_png(payload: str) -> bytes:
    import qrcode

    out = io.BytesIO()
    qrcode.make(payload, box_size=4, border=2).save(out, format="PNG")
    return out.getvalue()
