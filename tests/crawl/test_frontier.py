"""Two crawl workers (two `brandmon crawl` processes, as on two machines) share one Redis frontier: the
pages of a source are split between them and none is fetched twice; a page that failed is not
remembered as seen, so the next crawl fetches it again. Real Redis, real HTTP site on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

import pytest
import yaml

from bench.crawl import list_path, thread_path
from monitor.config.model import FrontierConfig
from monitor.crawl.frontier import Frontier, merge_states
from monitor.store.base import Query
from monitor.store.sqlite import SqliteStore
from tests.conftest import ROOT
from tests.crawl.board_site import Board
from tests.redis_server import redis_prefix, redis_url  # noqa: F401  (fixtures)

THREADS = 12
BROKEN = thread_path(5, 1)  # answers 500 to its first three requests: one crawl with Scrapy's two retries


@pytest.fixture
def site():
    with Board(THREADS, broken=BROKEN) as b:
        yield b


def _config(folder, name: str, site: Board, redis_url: str, prefix: str, store) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "state_dir": str(folder / "state"), "rules_dir": str(ROOT / "rules"),
        "store": {"backend": "embedded", "path": str(store)},
        "brands": [{"name": "星河手机", "aliases": ["星河"]}],
        "channels": {name: "console://" for name in ("console", "pr_oncall", "pr_manager")},
        "crawl": {"frontier": {"redis_url": redis_url, "key_prefix": prefix, "seen_ttl": "10m"}},
        "sources": [site.shared_source(worker=name)],
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return str(path)


def _worker(config: str, log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "monitor", "--log-level", "INFO", "crawl", "-c", config, "--once",
                             "--json"], cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True)


def _wait(what, timeout: float, why: str, worker: subprocess.Popen, log_path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if what():
            return
        if worker.poll() is not None:
            pytest.fail(f"the worker exited ({worker.returncode}) before {why}:\n"
                        + log_path.read_text(encoding="utf-8")[-3000:])
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout} s: {why}")


def _finish(worker: subprocess.Popen, log_path) -> dict:
    out, _ = worker.communicate(timeout=240)
    assert worker.returncode == 0, log_path.read_text(encoding="utf-8")[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def test_two_workers_share_a_sources_pages_without_fetching_one_twice_and_a_failed_page_is_fetched_again(
        site, redis_url, redis_prefix, tmp_path):
    store = tmp_path / "shared.db"
    a_cfg = _config(tmp_path / "a", "a", site, redis_url, redis_prefix, store)
    b_cfg = _config(tmp_path / "b", "b", site, redis_url, redis_prefix, store)
    a_log, b_log = tmp_path / "a.log", tmp_path / "b.log"
    with a_log.open("w") as a_err, b_log.open("w") as b_err:
        a = _worker(a_cfg, a_err)
        try:
            _wait(lambda: any(p == list_path(1) for _, p, _ in site.fetches), 120, "worker a asks for the board", a, a_log)
            b = _worker(b_cfg, b_err)  # the board's first page is taken: b finds an empty queue and waits for a
            _wait(lambda: "waiting for its pages" in b_log.read_text(encoding="utf-8"), 120,
                  "worker b waits for the pages a is fetching", b, b_log)
            site.released.set()
            first = {"a": _finish(a, a_log), "b": _finish(b, b_log)}
        finally:
            for worker in (a, *([b] if "b" in locals() else [])):
                if worker.poll() is None:
                    worker.kill()

    fetched = site.pages_fetched()
    every_page = set(site.pages) - {BROKEN, thread_path(5, 2)}  # thread 5 is found behind its broken first page
    twice = [(w, p, s) for w, p, s in site.fetches if fetched[p] > 1]
    assert set(fetched) == every_page and not twice  # each page once, by one worker or the other
    by_worker = Counter(w for w, p, s in site.fetches if p.startswith("/forum.php") and s == 200)
    assert by_worker["a"] > 0 and by_worker["b"] > 0 and sum(by_worker.values()) == len(every_page)
    assert [s for _, p, s in site.fetches if p == BROKEN] == [500, 500, 500]  # one try and Scrapy's two retries
    mentions = 20 * (THREADS - 1)
    assert first["a"]["mentions"] + first["b"]["mentions"] == mentions
    shared = SqliteStore(store)
    assert shared.count(Query()) == mentions  # stored once each, whichever worker found them
    shared.close()

    # a later crawl, within the seen TTL: only the page that failed (and its second page) is fetched
    before = len(site.fetches)
    with a_log.open("a") as a_err:
        again = _finish(_worker(a_cfg, a_err), a_log)
    later = [(p, s) for _, p, s in site.fetches[before:] if p != "/robots.txt"]
    assert later == [(BROKEN, 200), (thread_path(5, 2), 200)]
    assert again["mentions"] == 20


def test_the_seen_filter_is_bounded_by_its_ttl_and_forgets_a_failed_request(redis_url, redis_prefix):
    from scrapy import Request
    from scrapy.utils.test import get_crawler

    from monitor.crawl.frontier import SeenFilter

    frontier = Frontier(FrontierConfig(redis_url=redis_url, key_prefix=redis_prefix, seen_ttl=timedelta(minutes=10)))
    seen = SeenFilter(frontier.redis, frontier.key("bbs", "seen"), 300, get_crawler().request_fingerprinter)
    page = Request("http://127.0.0.1:9/forum.php?mod=viewthread&tid=1")
    assert seen.request_seen(page) is False and seen.request_seen(page) is True
    (key,) = frontier.redis.keys(f"{redis_prefix}:frontier:bbs:seen:*")
    assert 290 <= frontier.redis.ttl(key) <= 300
    seen.forget(page)
    assert seen.request_seen(page) is False  # failed: the next crawl may take it again
    frontier.close()


def test_a_sources_seen_ttl_is_at_most_half_its_interval(redis_url):
    from tests.crawl.conftest import make_source

    frontier = Frontier(FrontierConfig(redis_url=redis_url, seen_ttl=timedelta(hours=1)))
    source = make_source("bbs", "forum", {"preset": "discuz", "base_url": "http://127.0.0.1:9", "boards": [2]},
                         interval="10m")
    assert frontier.seen_ttl(source) == 300
    frontier.close()


def test_merged_crawl_state_keeps_what_another_worker_wrote_meanwhile():
    base = {"seen": [["m1", "aa"], ["m2", "bb"]], "threads": [{"key": "t1", "active": "2026-01-01T00:00:00+00:00", "v": 0}]}
    mine = {"seen": [["m1", "aa"], ["m2", "b2"], ["m3", "cc"]],
            "threads": [{"key": "t1", "active": "2026-01-01T00:00:00+00:00", "v": 0},
                        {"key": "t3", "active": "2026-01-02T00:00:00+00:00", "v": 1}]}
    stored = {"seen": [["m1", "a2"], ["m2", "bb"], ["m4", "dd"]],
              "threads": [{"key": "t1", "active": "2026-01-03T00:00:00+00:00", "v": 2},
                          {"key": "t4", "active": "2026-01-01T12:00:00+00:00", "v": 3}]}
    merged = merge_states(base, mine, stored)
    assert merged["seen"] == [["m1", "a2"], ["m4", "dd"], ["m2", "b2"], ["m3", "cc"]]
    assert [(t["key"], t["v"]) for t in merged["threads"]] == [("t1", 2), ("t3", 1), ("t4", 3)]
    assert merge_states(base, mine, base) == {**mine, "threads": sorted(mine["threads"], key=lambda t: t["active"],
                                                                          reverse=True)}
