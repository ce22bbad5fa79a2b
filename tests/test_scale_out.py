"""The scale-out suite, all on loopback and bounded: two `brandmon run` daemons (each a crawl worker and a
leader candidate) share a Redis crawl frontier and a 3-node Elasticsearch cluster. A node stops in the middle
of the crawl and ingest and no mention is lost; the board's pages are split between the daemons, none fetched
twice; exactly one leader alerts, and when it is killed mid-escalation the other sends the next step, once."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections import Counter

import pytest
import yaml

from monitor.config.model import ElasticConfig
from monitor.store.base import Query, StoreUnavailable
from monitor.store.elastic import ElasticStore
from tests.alerting.conftest import Receiver
from tests.conftest import ROOT, server_url
from tests.crawl.board_site import Board
from tests.daemon.conftest import DaemonProcess, brandmon
from tests.es.node import drop_prefix
from tests.redis_server import redis_prefix, redis_url  # noqa: F401  (fixtures)

NODES = 3
THREADS = 20  # 20 threads of 2 pages × 10 posts: 400 mentions
RULE = """type: keyword
description: 提到星河
severity: warning
brands: [星河手机]
keywords: [星河]
window: 1000d  # the board's posts are dated 2025-11-20
min_count: 1
"""
PLAYBOOKS = """warning:
  steps:
    - notify: [hook]
    - after: 20s
      notify: [later]
  resolve_after: 1d
"""


@pytest.fixture(scope="module")
def cluster() -> str:
    return server_url("BRANDMON_TEST_ES_CLUSTER", "scale-out")


def _node(i: int, action: str) -> None:
    """Stop or start node i of the cluster scripts/test.sh started (BRANDMON_ES_CLUSTER names it)."""
    name = os.environ.get("BRANDMON_ES_CLUSTER", "brandmon-cluster")
    args = ["stop"] if action == "stop" else ["cluster-start", str(NODES)]
    env = {**os.environ, "BRANDMON_ES_CLUSTER": name, **({"BRANDMON_ES_INSTANCE": f"{name}-n{i}"} if action == "stop" else {})}
    done = subprocess.run([str(ROOT / "scripts" / "elasticsearch.sh"), *args], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def _config(folder, name: str, site: Board, receiver: Receiver, cluster: str, es_prefix: str, redis_url: str,
            redis_prefix: str):
    from monitor.demo.mailbox import free_port

    folder.mkdir(parents=True, exist_ok=True)
    rules = folder / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "fires.yaml").write_text(RULE, encoding="utf-8")
    (rules / "playbooks.yaml").write_text(PLAYBOOKS, encoding="utf-8")
    port = free_port()
    config = {
        "state_dir": str(folder / "state"), "rules_dir": str(rules),
        "store": {"backend": "elasticsearch", "elasticsearch": {"url": cluster, "index_prefix": es_prefix}},
        "crawl": {"frontier": {"redis_url": redis_url, "key_prefix": redis_prefix}},
        "brands": [{"name": "星河手机", "aliases": ["星河"]}],
        "channels": {"hook": receiver.url("hook"), "later": receiver.url("later")},
        "evaluate_every": "2s", "alerting": {"group_wait": "0s"},
        "http": {"bind": f"127.0.0.1:{port}", "public_url": f"http://127.0.0.1:{port}",
                 "ack_secret": "test-ack-secret-value"},
        "daemon": {"jitter": 0, "tick_every": "1s", "shutdown_grace": "15s", "leader_lease": "3s"},
        "sources": [site.shared_source(worker=name)],
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def _count(store: ElasticStore) -> int | None:
    """Mentions stored; None while the cluster moves the stopped node's shards (a search answers 503)."""
    try:
        return store.count(Query())
    except StoreUnavailable:
        return None


def _daemons(config) -> list[dict]:
    done = brandmon("status", "-c", str(config), "--json")
    return json.loads(done.stdout.strip().splitlines()[-1])["daemons"]


def _leader(daemons: list[DaemonProcess]) -> DaemonProcess | None:
    leading = [d for d in daemons if any("now the alerting leader" in line.get("msg", "") for line in d.logs())]
    return leading[0] if len(leading) == 1 else None


def test_two_daemons_on_a_three_node_cluster_share_the_crawl_lose_nothing_when_a_node_stops_and_alert_once(
        cluster, redis_url, redis_prefix, tmp_path):
    es_prefix = f"brandmon-test-{uuid.uuid4().hex[:10]}"
    store = ElasticStore(ElasticConfig(url=cluster, index_prefix=es_prefix))
    receiver = Receiver()
    daemons: list[DaemonProcess] = []
    stopped = False
    with Board(THREADS, delay=0.15) as site:
        try:
            configs = [_config(tmp_path / n, n, site, receiver, cluster, es_prefix, redis_url, redis_prefix)
                       for n in ("a", "b")]
            a = DaemonProcess(configs[0], tmp_path / "a.log")
            daemons.append(a)
            a.wait_for(lambda: any(p.startswith("/forum.php") for _, p, _ in site.fetches), timeout=120)
            b = DaemonProcess(configs[1], tmp_path / "b.log")
            daemons.append(b)
            b.wait_for(b.healthy, timeout=120)  # b's crawl finds the board's first page taken and waits for a's
            site.released.set()
            a.wait_for(lambda: sum(site.pages_fetched().values()) >= 10, timeout=120)
            _node(NODES, "stop")  # mid-crawl, before either daemon stored its batch
            stopped = True
            a.wait_for(lambda: _count(store) == THREADS * 20, timeout=180)

            fetched = site.pages_fetched()
            assert set(fetched) == set(site.pages) and set(fetched.values()) == {1}  # every page once
            by_worker = Counter(w for w, p, s in site.fetches if p.startswith("/forum.php") and s == 200)
            assert by_worker["a"] > 0 and by_worker["b"] > 0

            leader = a.wait_for(lambda: _leader(daemons), timeout=60)
            leader.wait_for(lambda: receiver.paths().count("/hook") >= 1, timeout=120)
            leader.kill()  # mid-escalation: the second step is due 20 s after the incident opened
            follower = b if leader is a else a
            follower.wait_for(lambda: "/later" in receiver.paths(), timeout=90)
            time.sleep(3)  # a few more ticks of the new leader: nothing goes out again
            assert sorted(receiver.paths()) == ["/hook", "/later"]
            listed = _daemons(follower.config)
            assert len(listed) == 2 and [d["leader"] for d in listed if not d["stale"]] == [True]
        finally:
            for d in daemons:
                d.kill()
            receiver.close()
            if stopped:
                _node(NODES, "start")
            drop_prefix(store.es, es_prefix)
            store.close()
