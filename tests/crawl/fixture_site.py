"""A site on 127.0.0.1 that serves fixture files by route, and misbehaves on cue.

Routes match a path plus the query parameters they name (extra parameters in the request are
ignored; the route naming the most parameters wins), so a fixture says `forum.php?mod=viewthread&tid=101`
the way the platform's links do. `@@HOST@@` in a file becomes this server's host:port (protocol-relative
links such as Tieba's `//tieba.baidu.com/...` stay faithful). Requests sent to it as an HTTP proxy
("GET http://host/path") are served from the path too, and every request's headers are kept.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

SITES = Path(__file__).resolve().parent.parent / "fixtures" / "sites"
REAL = SITES.parent / "real"  # pages saved from real sites by others (PROVENANCE.tsv), served byte for byte


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class _Route:
    path: str
    params: dict[str, list[str]]
    replies: list[Reply]  # served in turn; the last one repeats

    def matches(self, path: str, params: dict[str, list[str]]) -> bool:
        return path == self.path and all(params.get(k) == v for k, v in self.params.items())


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.site._serve(self)

    def log_message(self, *args) -> None:  # quiet: tests read `hits` instead
        pass


class FixtureSite:
    def __init__(self, folder: str, host: str = "127.0.0.1") -> None:
        self.folder = SITES / folder
        self.hits: Counter[str] = Counter()
        self.headers: list[dict[str, str]] = []
        self.proxied = 0
        self._routes: list[_Route] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), _Handler)
        self._server.site = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.robots("User-agent: *\nAllow: /\n")

    @property
    def host(self) -> str:
        return f"{self._server.server_address[0]}:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def __enter__(self) -> "FixtureSite":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    # routes
    def route(self, target: str, *replies: Reply) -> None:
        """Serve `replies` in turn (the last repeats) at `target` ("/path?param=value&…"); replaces an old route."""
        parts = urlsplit(target)
        params = parse_qs(parts.query, keep_blank_values=True)
        with self._lock:
            self._routes = [r for r in self._routes if not (r.path == parts.path and r.params == params)]
            self._routes.append(_Route(parts.path, params, list(replies)))

    def file(self, target: str, name: str, content_type: str = "text/html", charset: str | None = "utf-8",
             encode_as: str | None = None, **kwargs) -> None:
        """Serve a fixture file; `encode_as` sends its bytes in another encoding (a GBK site), `charset`
        is what the Content-Type header declares (None: nothing, as many old sites do)."""
        text = (self.folder / name).read_text(encoding="utf-8").replace("@@HOST@@", self.host)
        declared = f"{content_type}; charset={charset}" if charset else content_type
        self.route(target, Reply(body=text.encode(encode_as or "utf-8"), content_type=declared, **kwargs))

    def real(self, target: str, name: str, content_type: str = "application/json; charset=utf-8", **kwargs) -> None:
        """Serve a real saved page (tests/fixtures/real/NAME) exactly as it was saved."""
        self.route(target, Reply(body=(REAL / name).read_bytes(), content_type=content_type, **kwargs))

    def files(self, routes: dict[str, str], **kwargs) -> "FixtureSite":
        """Serve several fixture files at once: {target: file name}, all with the same `file` options."""
        for target, name in routes.items():
            self.file(target, name, **kwargs)
        return self

    def robots(self, text: str) -> None:
        self.route("/robots.txt", Reply(body=text.encode(), content_type="text/plain"))

    def hits_of(self, prefix: str) -> int:
        return sum(n for target, n in self.hits.items() if target.startswith(prefix))

    # serving
    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        params = parse_qs(parts.query, keep_blank_values=True)
        with self._lock:
            self.hits[target] += 1
            self.headers.append({k.lower(): v for k, v in request.headers.items()})
            self.proxied += bool(parts.netloc)
            candidates = [r for r in self._routes if r.matches(parts.path, params)]
            route = max(candidates, key=lambda r: len(r.params)) if candidates else None
            reply = (route.replies.pop(0) if len(route.replies) > 1 else route.replies[0]) if route else None
        if reply is None:
            request.send_error(404)
            return
        if reply.delay:
            time.sleep(reply.delay)
        try:
            request.send_response(reply.status)
            request.send_header("Content-Type", reply.content_type)
            request.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                request.send_header(name, value)
            request.end_headers()
            request.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):  # the crawler gave up waiting (timeout tests)
            pass
