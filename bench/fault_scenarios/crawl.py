"""Hostile pages at scale: one crawl of a thousand comment pages on loopback, each with one poisoned comment
between two good ones (values drawn from the faults seen in the wild: counts past 2^63, "-5", NaN,
impossible times, wrong JSON types, lone surrogates, terminal escapes, direction overrides, megabyte
texts, deep nesting). `lost` counts good comments missing plus poisoned ones that vanished without being
counted as skipped; `duplicated` counts mention ids stored twice; the crawl must not raise.
"""

from __future__ import annotations

import json
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

PAGES = 1000
SEED = 13
POISONS = [
    ("like", 2**64), ("like", "-5"), ("like", "1e999"), ("like", float("nan")), ("like", float("inf")),
    ("like", {"n": 1}), ("rcount", [1, 2]), ("ctime", "昨天 25:99"), ("ctime", "0001-01-01T00:00:00Z"),
    ("ctime", 4_070_908_800), ("ctime", 1e30), ("ctime", None), ("ctime", []),
    ("message", "星河\ud800好"), ("message", "\x1b[2J\x1b[31m星河\x1b[0m"), ("message", "星河\u202e评差\u202c"),
    ("message", "星" * 300_000), ("message", "\x00\x07"), ("message", 12345), ("message", {"x": 1}),
    ("member", "oops"), ("member", None), ("uname", {"x": 1}), ("rpid_str", {"a": 1}), ("content", []),
    ("replies", "deep"),
]


def _comment(rpid: int, text: str) -> dict:
    return {"rpid": rpid, "rpid_str": str(rpid), "ctime": 1763686000 + rpid % 1000, "like": rpid % 50,
            "rcount": 0, "member": {"mid": str(rpid % 997), "uname": f"用户{rpid % 997}"},
            "content": {"message": text}, "replies": None}


def _poisoned(rpid: int, rng: random.Random) -> dict:
    comment = _comment(rpid, "被投毒的评论 星河")
    for key, value in rng.sample(POISONS, rng.randint(1, 3)):
        if key == "message":
            comment["content"] = {"message": value}
        elif key == "uname":
            comment["member"] = {"mid": "1", "uname": value}
        elif key == "replies":
            comment["replies"] = json.loads("[" * 900 + "]" * 900)
        else:
            comment[key] = value
    return comment


def _pages() -> tuple[dict[str, bytes], set[str], set[str]]:
    rng = random.Random(SEED)
    pages, good, poisoned = {}, set(), set()
    for oid in range(1, PAGES + 1):
        first, middle, last = oid * 10 + 1, oid * 10 + 2, oid * 10 + 3
        replies = [_comment(first, f"星河手机 好评 {oid}"), _poisoned(middle, rng), _comment(last, f"星河售后 {oid}")]
        body = {"code": 0, "data": {"cursor": {"is_end": True, "next": 0}, "replies": replies}}
        pages[str(oid)] = json.dumps(body).encode("ascii")
        good |= {str(first), str(last)}
        poisoned.add(str(middle))
    return pages, good, poisoned


def hostile_comment_pages(folder: Path) -> dict:
    from monitor.config.model import CommentsOptions, SourceConfig
    from monitor.crawl.runner import CrawlRunner

    pages, good, poisoned = _pages()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            oid = parse_qs(urlsplit(self.path).query).get("oid", [""])[0]
            body = pages.get(oid, b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    runner = CrawlRunner("Asia/Shanghai", {"AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": False,
                                           "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "LOG_LEVEL": "ERROR"})
    try:
        options = CommentsOptions.model_validate({
            "preset": "bilibili", "base_url": f"http://127.0.0.1:{server.server_address[1]}",
            "targets": list(pages), "sub_url": None, "max_thread_pages": 1})
        source = SourceConfig(name="hostile", type="comments", options=options, obey_robots=False,
                              allow_networks=("127.0.0.1/32",))
        result = runner.crawl(source, timeout=600)
    finally:
        runner.stop()
        server.shutdown()
    ids = [m.native_id for m in result.mentions]
    found = set(ids)
    vanished = len(poisoned - found)
    counted = result.skipped.get("empty", 0) + result.skipped.get("malformed", 0)
    return {"lost": len(good - found) + max(0, vanished - counted), "duplicated": len(ids) - len(found),
            "out_of_order": 0, "health_seconds": None, "pages": result.pages, "errors": result.errors,
            "poisoned_kept": len(poisoned & found), "poisoned_skipped": vanished, "skipped": result.skipped}


SCENARIOS = {"crawl_hostile_comment_pages": hostile_comment_pages}
