"""Elasticsearch stops in the middle of crawling: the crawls go on, nothing accepted is lost and nothing
is stored twice once it is back. The node here is a second one of our own, so stopping it does not
disturb the node every other test uses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid

import pytest
from elasticsearch import Elasticsearch, helpers

from monitor.demo.mailbox import Mailbox
from monitor.demo.run import write_config
from monitor.demo.site import DemoSite
from monitor.store.base import Query
from monitor.queue import WorkQueue
from monitor.store.sqlite import SqliteStore
from tests.conftest import ROOT
from tests.es.node import drop_prefix


class OwnNode:
    """scripts/elasticsearch.sh on a run dir of its own (own port and data), made for this run so that
    two suites running at once never stop each other's node."""

    def __init__(self) -> None:
        self.run_dir = tempfile.mkdtemp(prefix="brandmon-es-outage-", dir="/tmp")
        os.chmod(self.run_dir, 0o755)  # run as root, the script hands it to the node's own user
        self.env = {**os.environ, "BRANDMON_ES_RUN": self.run_dir}
        self.env.pop("BRANDMON_ES_INSTANCE", None)
        self.url = ""

    def _script(self, action: str) -> str:
        proc = subprocess.run([str(ROOT / "scripts" / "elasticsearch.sh"), action], env=self.env,
                              capture_output=True, text=True, timeout=240)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return proc.stdout.strip()

    def start(self) -> None:
        url = self._script("start").splitlines()[-1]
        assert not self.url or url == self.url, "the restarted node must keep its URL"
        self.url = url

    def stop(self) -> None:
        self._script("stop")


@pytest.fixture(scope="module")
def own_node(es_url):  # es_url: this runs wherever the Elasticsearch tests run (always in CI)
    node = OwnNode()
    try:
        node.start()
        yield node
    finally:
        node.stop()
        shutil.rmtree(node.run_dir, ignore_errors=True)


def crawl(config) -> dict:
    proc = subprocess.run([sys.executable, "-m", "monitor", "crawl", "--once", "-c", str(config), "--json"],
                          capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_node_stopped_mid_crawl_loses_no_mention_and_stores_none_twice(own_node, tmp_path):
    prefix = f"brandmon-outage-{uuid.uuid4().hex[:8]}"
    site, mailbox = DemoSite().start(), Mailbox(tmp_path / "mail").start()
    es = Elasticsearch(own_node.url, request_timeout=30)
    try:
        (tmp_path / "es").mkdir()
        (tmp_path / "embedded").mkdir()
        config = write_config(tmp_path / "es", site, mailbox, own_node.url)
        config.write_text(config.read_text(encoding="utf-8").replace("brandmon-demo", prefix), encoding="utf-8")
        reference = write_config(tmp_path / "embedded", site, mailbox, None)

        assert crawl(config)["mentions"] > 0
        own_node.stop()
        site.burst = True  # the crisis breaks while the index is down
        during = crawl(config)
        queue = WorkQueue(tmp_path / "es" / "state" / "queue")
        assert during["mentions"] == 0 and queue.depth()[1] > 0  # nothing stored, everything queued
        own_node.start()
        crawl(config)  # the queue is worked oldest first, then the new crawl
        assert queue.depth() == (0, 0)
        queue.close()

        crawl(reference)  # the same site into the embedded store: what should be there
        expected = {m.id for m in SqliteStore(tmp_path / "embedded" / "state" / "brandmon.db").find(Query(), 10_000)}
        es.indices.refresh(index=f"{prefix}-mentions")
        stored = [hit["_id"] for hit in helpers.scan(es, index=f"{prefix}-mentions", _source=False)]
        assert es.count(index=f"{prefix}-mentions")["count"] == len(expected)
        assert len(stored) == len(set(stored))
        assert set(stored) == expected
    finally:
        drop_prefix(es, prefix)
        es.close()
        mailbox.stop()
        site.stop()


def test_a_running_daemon_keeps_every_mention_through_an_outage_and_says_so_on_healthz(own_node, tmp_path):
    """The short version of bench/fault_scenarios/store.py's three-minute outage."""
    result = store_scenarios().es_down(tmp_path, seconds=20, node=own_node)
    assert (result["lost"], result["duplicated"]) == (0, 0) and result["expected"] > 0
    assert result["health_seconds"] is not None and result["health_seconds"] <= 30
    assert result["queued_during_outage"] > 0
    assert result["tracebacks"] <= 3  # one line per change of state, not one per failed call


def test_indices_deleted_under_a_running_daemon_are_recreated_refilled_and_restart_works(es_url, tmp_path):
    result = store_scenarios().indices_deleted(tmp_path, watch=30, es_url=es_url)
    assert (result["lost"], result["duplicated"]) == (0, 0) and result["expected"] > 0
    assert result["health_seconds"] is not None and result["health_seconds"] <= 30
    assert not result["plain_state_index"] and result["restart_ok"]


def store_scenarios():
    import importlib.util

    spec = importlib.util.spec_from_file_location("store_faults", ROOT / "bench" / "fault_scenarios" / "store.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
