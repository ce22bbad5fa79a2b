"""Store faults under a running `brandmon run`, with real servers on loopback: Elasticsearch stopped for
minutes, its indices deleted under the daemon, the state disk full (a tmpfs mount made here).

Each scenario starts the demo site and the daemon (crawling every few seconds), breaks the store while
a crisis is published on the site, polls /healthz every second, repairs the fault, waits for the queue
to drain, then compares the mention ids in the store with a reference crawl of the same site into a
fresh embedded store: `lost` = expected ids missing, `duplicated` = documents beyond one per id.
`health_seconds` = seconds from the fault until /healthz answered 503 with a reason (None: never).
Bounded: every wait has a deadline; the daemon and the servers are stopped whatever happens.

Long versions run from bench/faults.py; the tests call the same functions with short durations.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from monitor.demo.mailbox import free_port  # noqa: E402
from monitor.demo.site import DemoSite  # noqa: E402

CRAWL_EVERY = "6s"
ES_DOWN_SECONDS = 180
INDICES_GONE_WATCH = 30
DISK_FULL_SECONDS = 60
TMPFS_MB = 48


class Daemon:
    """`brandmon run` as a child logging JSON lines to a file."""

    def __init__(self, config: Path, log: Path) -> None:
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        self.base = data["http"]["public_url"]
        self.config = config
        self.log = log
        self._out = log.open("w", encoding="utf-8")
        self.started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, "-m", "monitor", "--log-format", "json", "run", "-c",
                                      str(config)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=self._out,
                                     start_new_session=True)

    def health(self) -> tuple[int | None, dict]:
        try:
            with urllib.request.urlopen(self.base + "/healthz", timeout=5) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")
        except (OSError, ValueError):
            return None, {}

    def metric(self, name: str) -> float | None:
        try:
            with urllib.request.urlopen(self.base + "/metrics", timeout=5) as r:
                text = r.read().decode()
        except OSError:
            return None
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None

    def wait(self, check, timeout: float, every: float = 0.5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"daemon exited {self.proc.returncode}: {self.tail()}")
            value = check()
            if value:
                return value
            time.sleep(every)
        raise TimeoutError(f"waited {timeout:.0f} s for {getattr(check, '__name__', check)}: {self.tail()}")

    def first_answer_seconds(self, timeout: float = 60) -> float:
        """Seconds from spawning the process to the first HTTP answer of /healthz (any status)."""
        self.wait(lambda: self.health()[0] is not None, timeout, every=0.05)
        return time.monotonic() - self.started

    def unhealthy_within(self, timeout: float, since: float) -> float | None:
        """Seconds from `since` until /healthz says 503 with a reason other than starting, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, body = self.health()
            if status == 503 and body.get("reasons") and body.get("status") != "starting":
                return round(time.monotonic() - since, 1)
            time.sleep(1.0)
        return None

    def drained(self) -> bool:
        return self.health()[0] == 200 and self.metric("brandmon_queue_items") == 0

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines() if line.startswith("{")]

    def tail(self) -> str:
        return "\n".join(self.log.read_text(encoding="utf-8").splitlines()[-15:])

    def stop(self, timeout: float = 60) -> int | None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._out.close()
        return self.proc.returncode


class OwnNode:
    """scripts/elasticsearch.sh with an instance of its own, so stopping it disturbs nobody else."""

    def __init__(self, name: str) -> None:
        self.env = {k: v for k, v in os.environ.items() if k != "BRANDMON_ES_RUN"}
        self.env["BRANDMON_ES_INSTANCE"] = name
        self.url = ""

    def _script(self, action: str) -> str:
        proc = subprocess.run([str(ROOT / "scripts" / "elasticsearch.sh"), action], env=self.env,
                              capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-2000:])
        return proc.stdout.strip()

    def start(self) -> str:
        self.url = self._script("start").splitlines()[-1]
        return self.url

    def stop(self) -> None:
        self._script("stop")


def write_config(folder: Path, site: DemoSite, es_url: str | None, prefix: str | None, state_dir: Path | None = None,
                 **daemon: object) -> Path:
    """The demo's sources on this site, crawled every few seconds; the demo's rules; channels to a port
    nobody listens on (delivery is another scenario's business)."""
    from monitor.demo.run import HERE

    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    text = (HERE / "config.yaml").read_text(encoding="utf-8")
    from string import Template

    text = Template(text).substitute(state_dir=str(state_dir or folder / "state"), site=site.url,
                                     rules_dir=str(HERE / "rules"), oncall_mail="json://127.0.0.1:9/oncall",
                                     manager_mail="json://127.0.0.1:9/manager")
    data = yaml.safe_load(text)
    for source in data["sources"]:
        source["interval"] = CRAWL_EVERY
    data.update({"evaluate_every": "5s",
                 "http": {"bind": f"127.0.0.1:{port}", "public_url": f"http://127.0.0.1:{port}",
                          "ack_secret": uuid.uuid4().hex},
                 "daemon": {"jitter": 0, "tick_every": "2s", "shutdown_grace": "10s", **daemon}})
    if es_url:
        data["store"] = {"backend": "elasticsearch", "elasticsearch": {"url": es_url, "index_prefix": prefix}}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def expected_ids(folder: Path, site: DemoSite) -> set[str]:
    """Every mention id the site holds now: a crawl of it into a fresh embedded store."""
    from monitor.store.base import Query
    from monitor.store.sqlite import SqliteStore

    config = write_config(folder, site, None, None)
    proc = subprocess.run([sys.executable, "-m", "monitor", "crawl", "--once", "-c", str(config), "--json"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    store = SqliteStore(folder / "state" / "brandmon.db")
    try:
        return {m.id for m in store.find(Query(), 100_000)}
    finally:
        store.close()


def es_ids(es_url: str, prefix: str, tries: int = 10) -> list[str]:
    """The mention ids behind the read alias. Indices the daemon has just recreated may answer 503 for a
    moment (shards not yet started): asked again, a second apart, before that counts as a failure."""
    from elasticsearch import ApiError, Elasticsearch, helpers

    es = Elasticsearch(es_url, request_timeout=30)
    try:
        for attempt in range(1, tries + 1):
            try:
                es.indices.refresh(index=f"{prefix}-mentions", ignore_unavailable=True, allow_no_indices=True)
                return [h["_id"] for h in helpers.scan(es, index=f"{prefix}-mentions", _source=False,
                                                       ignore_unavailable=True)]
            except ApiError as exc:
                if exc.meta.status < 500 or attempt == tries:
                    raise
                time.sleep(1.0)
        return []  # tries < 1
    finally:
        es.close()


def sqlite_ids(db: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM mentions")]


def drop_prefix(es_url: str, prefix: str) -> None:
    from elasticsearch import Elasticsearch

    es = Elasticsearch(es_url, request_timeout=30)
    try:
        names = list(es.indices.get(index=f"{prefix}-*", expand_wildcards="all"))
        if names:
            es.indices.delete(index=",".join(names))
        es.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-mentions")
    finally:
        es.close()


def counts(expected: set[str], stored: list[str]) -> dict:
    return {"lost": len(expected - set(stored)), "duplicated": len(stored) - len(set(stored)),
            "out_of_order": 0, "expected": len(expected), "stored": len(set(stored))}


def log_figures(daemon: Daemon, since: float) -> dict:
    """Log lines written after the fault, how many carried a traceback and how many were fault changes
    (goal: a handful, not hundreds)."""
    records = daemon.records()
    start = time.time() - (time.monotonic() - since)
    after = [r for r in records if _epoch(r["ts"]) >= start]
    return {"log_lines": len(after), "tracebacks": sum(1 for r in after if "exc" in r),
            "fault_lines": sum(1 for r in after if r["logger"] == "monitor.faults")}


def _epoch(ts: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(ts).timestamp()


# scenarios
def es_down(folder: Path, seconds: float = ES_DOWN_SECONDS, node=None) -> dict:
    """Elasticsearch stopped for `seconds` while the crisis is published; then started again. `node`: a
    running node of the caller's (start/stop/url) to use instead of one of this scenario's own."""
    own = node is None
    node = node or OwnNode("queue-faults")
    site = DemoSite().start()
    prefix = f"brandmon-fault-{uuid.uuid4().hex[:8]}"
    daemon = None
    try:
        url = node.start() if own else node.url
        daemon = Daemon(write_config(folder / "es", site, url, prefix), folder / "daemon.log")
        first_answer = daemon.first_answer_seconds()
        daemon.wait(lambda: daemon.health()[0] == 200, 180)
        daemon.wait(lambda: len(es_ids(url, prefix)) > 0, 180)
        node.stop()
        fault = time.monotonic()
        site.burst = True
        health = daemon.unhealthy_within(min(60, seconds), fault)
        time.sleep(max(0.0, seconds - (time.monotonic() - fault)))
        queued = daemon.metric("brandmon_queue_mentions")
        node.start()
        daemon.wait(daemon.drained, 240, every=1.0)
        recovered = round(time.monotonic() - fault - seconds, 1)
        figures = log_figures(daemon, fault)
        result = counts(expected_ids(folder / "reference", site), es_ids(url, prefix))
        return {**result, "health_seconds": health, "queued_during_outage": queued, "recovered_seconds": recovered,
                "outage_seconds": seconds, "healthz_first_answer_seconds": round(first_answer, 2), **figures}
    finally:
        if daemon is not None:
            daemon.stop()
        site.stop()
        try:
            drop_prefix(node.url, prefix)
        except Exception:  # the node may be the thing that failed; the scenario's result stands
            pass
        if own:
            node.stop()


def indices_deleted(folder: Path, watch: float = INDICES_GONE_WATCH, es_url: str | None = None) -> dict:
    """Every index and the template of the daemon's prefix deleted under it while the crisis is published;
    then the daemon is restarted on the same cluster (which used to fail with invalid_alias_name_exception)."""
    from elasticsearch import Elasticsearch

    es_url = es_url or os.environ.get("BRANDMON_TEST_ES_URL", "http://127.0.0.1:9200")
    site = DemoSite().start()
    prefix = f"brandmon-fault-{uuid.uuid4().hex[:8]}"
    es = Elasticsearch(es_url, request_timeout=30)
    daemon = None
    try:
        config = write_config(folder / "es", site, es_url, prefix)
        daemon = Daemon(config, folder / "daemon.log")
        daemon.wait(lambda: daemon.health()[0] == 200, 180)
        daemon.wait(lambda: len(es_ids(es_url, prefix)) > 0, 180)
        drop_prefix(es_url, prefix)
        fault = time.monotonic()
        site.burst = True
        health = daemon.unhealthy_within(watch, fault)
        daemon.wait(daemon.drained, 120, every=1.0)
        expected = expected_ids(folder / "reference", site)
        daemon.wait(lambda: expected <= set(es_ids(es_url, prefix)), 120, every=2.0)  # the next crawls refill it
        plain_state = es.indices.exists(index=f"{prefix}-state") and not es.indices.exists_alias(name=f"{prefix}-state")
        daemon.stop()
        again = Daemon(config, folder / "daemon-restart.log")
        daemon = again
        restarted = bool(again.wait(lambda: again.health()[0] == 200, 180))
        return {**counts(expected, es_ids(es_url, prefix)), "health_seconds": health,
                "plain_state_index": bool(plain_state), "restart_ok": restarted}
    finally:
        if daemon is not None:
            daemon.stop()
        site.stop()
        drop_prefix(es_url, prefix)
        es.close()


def disk_full(folder: Path, seconds: float = DISK_FULL_SECONDS) -> dict:
    """The embedded store's disk (a tmpfs mount made here) filled up while the crisis is published; then freed."""
    mount = folder / "state"
    mount.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_MB}m", "tmpfs", str(mount)], check=True,
                   capture_output=True, timeout=30)
    site = DemoSite().start()
    daemon = None
    filler = mount / "filler"
    try:
        config = write_config(folder / "conf", site, None, None, state_dir=mount, min_free_disk_mb=4)
        daemon = Daemon(config, folder / "daemon.log")
        daemon.wait(lambda: daemon.health()[0] == 200, 180)
        daemon.wait(lambda: (mount / "brandmon.db").exists() and len(sqlite_ids(mount / "brandmon.db")) > 0, 180)
        with filler.open("wb") as f:  # every byte the disk has left
            try:
                while True:
                    f.write(b"\0" * (1 << 20))
                    f.flush()
            except OSError:
                pass
        fault = time.monotonic()
        site.burst = True
        health = daemon.unhealthy_within(min(60, seconds), fault)
        time.sleep(max(0.0, seconds - (time.monotonic() - fault)))
        reasons = daemon.health()[1].get("reasons", [])
        filler.unlink()
        expected = expected_ids(folder / "reference", site)
        daemon.wait(lambda: daemon.health()[0] == 200, 120, every=1.0)
        daemon.wait(lambda: expected <= set(sqlite_ids(mount / "brandmon.db")), 120, every=2.0)
        daemon.wait(daemon.drained, 60, every=1.0)
        return {**counts(expected, sqlite_ids(mount / "brandmon.db")), "health_seconds": health,
                "reasons_while_full": reasons, **log_figures(daemon, fault)}
    finally:
        if daemon is not None:
            daemon.stop()
        site.stop()
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, timeout=30)


SCENARIOS = {"store_es_down_3min": es_down, "store_indices_deleted": indices_deleted, "store_disk_full": disk_full}
