"""How fast `/healthz` answers while the daemon works, against a bare WSGI app answering the same JSON.

Runs the real daemon (`brandmon run`) on the demo site with the Elasticsearch store (crawling every few
seconds, so NLP, the store and the rules keep the machine busy), waits until it is healthy, then asks
`/healthz` `--requests` times one after another. The baseline is a waitress app on this machine, in the
same run, that returns `{"status": "ok"}` from memory: the least any health endpoint can cost. `detail`
also has the median of one Elasticsearch ping (`cluster.health`, what every /healthz request used to do
before it read the heartbeat's record instead). Prints medians and p95 in milliseconds; one JSON object
last. Bounded: every wait has a deadline; the daemon, the site and the indices are removed at the end.

    python bench/healthz.py [--requests 200] [--es http://127.0.0.1:9200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fault_scenarios.store import Daemon, drop_prefix, es_ids, write_config  # noqa: E402
from monitor.demo.mailbox import free_port  # noqa: E402
from monitor.demo.site import DemoSite  # noqa: E402


def timed_gets(url: str, n: int) -> list[float]:
    """Milliseconds per GET, any status (a 503 is an answer too)."""
    out = []
    for _ in range(n):
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                r.read()
        except urllib.error.HTTPError as exc:
            exc.read()
        out.append((time.perf_counter() - started) * 1000)
    return out


def bare_server() -> tuple[str, object]:
    from waitress.server import create_server

    body = json.dumps({"status": "ok"}).encode()

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    port = free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    return f"http://127.0.0.1:{port}/healthz", server


def pings(es_url: str, n: int) -> list[float]:
    from elasticsearch import Elasticsearch

    es = Elasticsearch(es_url, request_timeout=30)
    try:
        out = []
        for _ in range(n):
            started = time.perf_counter()
            es.options(request_timeout=5).cluster.health()
            out.append((time.perf_counter() - started) * 1000)
        return out
    finally:
        es.close()


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--es", default=os.environ.get("BRANDMON_TEST_ES_URL", "http://127.0.0.1:9200"))
    args = parser.parse_args()
    site = DemoSite().start()
    prefix = f"brandmon-bench-{uuid.uuid4().hex[:8]}"
    daemon = None
    bare = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            daemon = Daemon(write_config(Path(tmp) / "run", site, args.es, prefix), Path(tmp) / "daemon.log")
            daemon.wait(lambda: daemon.health()[0] == 200, 180)
            daemon.wait(lambda: len(es_ids(args.es, prefix)) > 0, 180)
            site.burst = True  # the crisis: crawls keep finding new posts while we ask
            project = timed_gets(daemon.base + "/healthz", args.requests)
            bare_url, bare = bare_server()
            baseline = timed_gets(bare_url, args.requests)
            ping = pings(args.es, min(args.requests, 50))
            daemon.stop()
    finally:
        if daemon is not None:
            daemon.stop()
        if bare is not None:
            bare.close()
        site.stop()
        drop_prefix(args.es, prefix)
    median, base = statistics.median(project), statistics.median(baseline)
    print(f"/healthz median {median:.2f} ms, p95 {p95(project):.2f} ms; bare app {base:.2f} ms; "
          f"one Elasticsearch ping {statistics.median(ping):.2f} ms", file=sys.stderr)
    print(json.dumps({
        "metric": "/healthz latency while the daemon crawls (median)", "unit": "ms",
        "project": round(median, 2), "baseline": round(base, 2), "ratio": round(median / base, 2),
        "detail": {"requests": args.requests, "project_p95_ms": round(p95(project), 2),
                   "project_max_ms": round(max(project), 2), "baseline_p95_ms": round(p95(baseline), 2),
                   "es_ping_median_ms": round(statistics.median(ping), 2), "es_ping_p95_ms": round(p95(ping), 2),
                   "load_average": [round(x, 2) for x in os.getloadavg()]},
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
