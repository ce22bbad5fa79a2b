"""Post-to-alert latency: from a post appearing on a local feed to its alert reaching a local receiver.

Runs the real daemon (`brandmon run`) as a subprocess against an RSS feed on 127.0.0.1 that the bench
publishes into, one post at a time, each about a different brand so each opens its own incident; alerts go
through apprise's json:// to an HTTP receiver on 127.0.0.1. Posts are published at random phases of the
poll cycle. Prints the median latency (`project`, seconds) and the max, with the poll interval as the
`baseline` (the delay a poller alone adds at worst). Bounded: every wait has a deadline.

    python bench/latency.py [--posts 6] [--poll 5]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timezone
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.demo.mailbox import free_port  # noqa: E402

BRANDS = ["青松手机", "白鹭汽车", "海棠奶茶", "远山家电", "晨星电池", "银杏美妆", "长河饮料", "北辰耳机"]


class Loopback:
    """A threaded HTTP server on 127.0.0.1 with one handler function."""

    def __init__(self, handle) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                handle(self)

            do_POST = do_GET

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Feed:
    """An RSS feed the bench appends posts to."""

    def __init__(self) -> None:
        self.items: list[tuple[int, str, datetime]] = []
        self.http = Loopback(self._serve)

    def publish(self, text: str) -> None:
        self.items.append((len(self.items) + 1, text, datetime.now(timezone.utc)))

    def _serve(self, req: BaseHTTPRequestHandler) -> None:
        if req.path == "/robots.txt":
            body = "User-agent: *\nAllow: /\n"
        else:
            body = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>bench</title>"
                    + "".join(f"<item><title>{escape(t[:20])}</title><link>http://127.0.0.1:{self.http.port}/p/{n}"
                              f"</link><guid isPermaLink='false'>bench-{n}</guid>"
                              f"<pubDate>{format_datetime(at)}</pubDate><description>{escape(t)}</description></item>"
                              for n, t, at in reversed(self.items))
                    + "</channel></rss>")
        data = body.encode("utf-8")
        req.send_response(200)
        req.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)


class Receiver:
    """Where apprise's json:// delivers; records each alert's arrival time."""

    def __init__(self) -> None:
        self.alerts: list[tuple[float, str]] = []
        self.http = Loopback(self._serve)

    def _serve(self, req: BaseHTTPRequestHandler) -> None:
        body = json.loads(req.rfile.read(int(req.headers.get("Content-Length", 0))) or b"{}")
        self.alerts.append((time.time(), f"{body.get('title', '')}\n{body.get('message', '')}"))
        req.send_response(200)
        req.send_header("Content-Length", "0")
        req.end_headers()

    def arrival(self, brand: str) -> float | None:
        return next((at for at, text in self.alerts if brand in text), None)


def write_config(folder: Path, feed: Feed, receiver: Receiver, poll: float, brands: list[str]) -> Path:
    rules = folder / "rules"
    rules.mkdir(parents=True)
    (rules / "crisis.yaml").write_text("type: keyword\nseverity: critical\nkeywords: [爆炸]\nwindow: 1h\nmin_count: 1\n",
                                       encoding="utf-8")
    (rules / "playbooks.yaml").write_text("critical:\n  steps:\n    - notify: [hook]\n  resolve_after: 1d\n",
                                          encoding="utf-8")
    bind = f"127.0.0.1:{free_port()}"
    config = {
        "state_dir": str(folder / "state"),
        "brands": [{"name": b} for b in brands],
        "sources": [{"name": "bench-feed", "type": "feed", "start_urls": [f"http://127.0.0.1:{feed.http.port}/feed.xml"],
                     "interval": f"{poll}s"}],
        "channels": {"hook": f"json://127.0.0.1:{receiver.http.port}/hook"},
        "rules_dir": str(rules),
        "evaluate_every": "1m",
        "alerting": {"group_wait": "0s"},
        "http": {"bind": bind},
        "daemon": {"jitter": 0, "tick_every": "1s"},
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def wait(predicate, timeout: float, what: str, daemon: subprocess.Popen):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            raise SystemExit(f"the daemon exited ({daemon.returncode}) while waiting for {what}")
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


def crawls(config: Path) -> int:
    port = yaml.safe_load(config.read_text(encoding="utf-8"))["http"]["bind"].rsplit(":", 1)[1]
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return 0
    return int(sum(float(line.split()[-1]) for line in text.splitlines()
                   if line.startswith("brandmon_source_crawls_total{")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=6, help=f"posts to time (at most {len(BRANDS)})")
    parser.add_argument("--poll", type=float, default=5.0, help="the feed source's interval, seconds")
    args = parser.parse_args()
    posts = min(args.posts, len(BRANDS))
    rng = random.Random(7)
    feed, receiver = Feed(), Receiver()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="brandmon-latency-") as tmp:
        config = write_config(Path(tmp), feed, receiver, args.poll, BRANDS[:posts])
        log = open(Path(tmp) / "daemon.log", "w", encoding="utf-8")
        daemon = subprocess.Popen([sys.executable, "-m", "monitor", "run", "-c", str(config)], cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=log)
        latencies = []
        try:
            wait(lambda: crawls(config) >= 1, 120, "the first crawl", daemon)
            for i, brand in enumerate(BRANDS[:posts]):
                time.sleep(rng.uniform(0, args.poll))
                feed.publish(f"{brand}充电时电池爆炸了，大家小心（第 {i + 1} 条）")
                published = time.time()
                arrived = wait(lambda: receiver.arrival(brand), 3 * args.poll + 60, f"the alert about {brand}", daemon)
                latencies.append(round(arrived - published, 3))
                print(f"post {i + 1}/{posts} ({brand}): alert after {latencies[-1]:.2f} s", file=sys.stderr)
        finally:
            daemon.terminate()
            daemon.wait(timeout=60)
            log.close()
            feed.http.close()
            receiver.http.close()
    median = statistics.median(latencies)
    print(json.dumps({
        "metric": "post_to_alert_latency", "unit": "s",
        "project": round(median, 3), "baseline": args.poll, "ratio": round(median / args.poll, 3),
        "detail": {"max": max(latencies), "latencies": latencies, "posts": posts, "poll_interval": args.poll,
                   "baseline_means": "the source's poll interval", "seconds": round(time.perf_counter() - started, 1)},
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
