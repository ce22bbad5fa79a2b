"""Elasticsearch as a 3-node cluster on loopback (scripts/elasticsearch.sh cluster-start 3, which
scripts/test.sh runs): a node stopped in the middle of ingest costs no mention."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from datetime import timedelta

import pytest

from monitor.config.model import ElasticConfig
from monitor.store.base import Query, StoreUnavailable
from monitor.store.elastic import ElasticStore
from tests.conftest import ROOT, server_url
from tests.es.node import drop_prefix
from tests.store.records import T0, mention

NODES = 3
RETRIES = 120
BATCHES, PER_BATCH, STOP_AT = 16, 250, 6


@pytest.fixture(scope="module")
def cluster() -> str:
    return server_url("BRANDMON_TEST_ES_CLUSTER", "Elasticsearch cluster")


def _script(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "BRANDMON_ES_CLUSTER": os.environ.get("BRANDMON_ES_CLUSTER", "brandmon-cluster")}
    return subprocess.run([str(ROOT / "scripts" / "elasticsearch.sh"), *args], env=env, capture_output=True,
                          text=True, timeout=600)


def _stop_node(i: int) -> None:
    name = os.environ.get("BRANDMON_ES_CLUSTER", "brandmon-cluster")
    env = {**os.environ, "BRANDMON_ES_INSTANCE": f"{name}-n{i}"}
    done = subprocess.run([str(ROOT / "scripts" / "elasticsearch.sh"), "stop"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def _store_until_accepted(store: ElasticStore, batch) -> None:
    """What the daemon's queue does with a batch the store cannot take now: keep it and try again."""
    for _ in range(RETRIES):
        try:
            store.upsert(batch)
            return
        except StoreUnavailable:
            time.sleep(1)
    pytest.fail(f"the cluster refused a batch {RETRIES} times with a node down")


def test_a_node_stopped_mid_ingest_loses_no_mention(cluster):
    prefix = f"brandmon-test-{uuid.uuid4().hex[:10]}"
    store = ElasticStore(ElasticConfig(url=cluster, index_prefix=prefix), backoff=(0.5, 1, 2, 4))
    try:
        for b in range(BATCHES):
            if b == STOP_AT:
                _stop_node(NODES)
            _store_until_accepted(store, [mention(b * PER_BATCH + n, (b * PER_BATCH + n) % 1440)
                                          for n in range(PER_BATCH)])
        assert store.count(Query()) == BATCHES * PER_BATCH
        assert len(store.find(Query(start=T0, end=T0 + timedelta(minutes=1)), limit=100)) == 3  # 0, 1440, 2880
    finally:
        restarted = _script("cluster-start", str(NODES))
        drop_prefix(store.es, prefix)
        store.close()
    assert restarted.returncode == 0, restarted.stderr
