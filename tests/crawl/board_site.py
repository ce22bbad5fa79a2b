"""A forum board on loopback for tests of several crawl workers sharing one frontier."""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.crawl import board, list_path


class Board:
    """A Discuz!-shaped board (bench/crawl.py's pages) on 127.0.0.1 that records which worker (X-Worker header)
    fetched what. The first list page is held until `released` is set, so a test can have both workers up
    before any work exists; `broken` answers 500 to its first three requests."""

    def __init__(self, threads: int, broken: str | None = None, delay: float = 0.3) -> None:
        self.pages = board(threads)
        self.broken, self.delay = broken, delay
        self.fetches: list[tuple[str, str, int]] = []  # (worker, path, status)
        self.released = threading.Event()
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.serve(self)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def shared_source(self, worker: str) -> dict:
        """The config of this board as one source that several crawl workers share (X-Worker names who fetched)."""
        return {"name": "bbs", "type": "forum", "interval": "1h", "allow_networks": ["127.0.0.1/32"],
                "concurrency": 1, "headers": {"X-Worker": worker},
                "timeout": "150s",  # the board's first page is held until both workers are up
                "options": {"preset": "discuz", "base_url": self.url, "boards": [2]}}

    def serve(self, request) -> None:
        path, worker = request.path, request.headers.get("X-Worker", "?")
        with self.lock:
            earlier = sum(1 for _, p, _ in self.fetches if p == path)
            body = b"User-agent: *\nAllow: /\n" if path == "/robots.txt" else self.pages.get(path)
            status = 500 if path == self.broken and earlier < 3 else (200 if body else 404)
            self.fetches.append((worker, path, status))
        if path == list_path(1):
            self.released.wait(140)
        time.sleep(self.delay if path.startswith("/forum.php") else 0)  # slow enough for two workers to overlap
        request.send_response(status)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        body = body if status == 200 else b"error"
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def pages_fetched(self) -> Counter:
        return Counter(p for _, p, s in self.fetches if p != "/robots.txt" and s == 200)

    def __enter__(self) -> "Board":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
