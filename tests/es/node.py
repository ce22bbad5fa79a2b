"""The real Elasticsearch node the tests use (scripts/test.sh starts one and sets BRANDMON_TEST_ES_URL),
and throwaway index prefixes on it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from monitor.config.model import ElasticConfig
from monitor.store.elastic import ElasticStore
from monitor.store.sqlite import SqliteStore
from tests.conftest import ROOT, server_url


@pytest.fixture(scope="session")
def es_url() -> str:
    return server_url("BRANDMON_TEST_ES_URL", "Elasticsearch")


@pytest.fixture(scope="session")
def es(es_url):
    client = Elasticsearch(es_url, request_timeout=30)
    yield client
    client.close()


def drop_prefix(es: Elasticsearch, prefix: str) -> None:
    """Delete every index and the template under `prefix` (by name: clusters may forbid wildcard deletes)."""
    names = list(es.indices.get(index=f"{prefix}-*", expand_wildcards="all"))
    if names:
        es.indices.delete(index=",".join(names))
    es.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-mentions")


@pytest.fixture
def es_prefix(es):
    """A fresh index prefix, deleted after the test."""
    prefix = f"brandmon-test-{uuid.uuid4().hex[:10]}"
    yield prefix
    drop_prefix(es, prefix)


@pytest.fixture
def elastic_store(es_url, es_prefix, tmp_path):
    store = ElasticStore(ElasticConfig(url=es_url, index_prefix=es_prefix))
    yield store
    store.close()


@pytest.fixture(params=["embedded", "elasticsearch"])
def store(request, tmp_path):
    """A fresh store of each backend the contract covers: the embedded one and a real Elasticsearch node
    (own indices)."""
    if request.param == "elasticsearch":
        yield request.getfixturevalue("elastic_store")
        return
    backend = SqliteStore(tmp_path / "brandmon.db")
    yield backend
    backend.close()


def config_file(folder: Path, es_url: str | None = None, prefix: str = "brandmon", kibana_url: str | None = None) -> Path:
    """A config with two brands and the shipped rules; the Elasticsearch store when `es_url` is given."""
    lines = [f"state_dir: {folder / 'state'}", f"rules_dir: {ROOT / 'rules'}",
             "brands:", "  - name: 星河手机", "    aliases: [星河]", "  - name: 云朵奶茶",
             "channels:", "  console: console://", "  pr_oncall: console://", "  pr_manager: console://"]
    if kibana_url:
        lines += ["alerting:", f"  kibana_url: {kibana_url}"]
    if es_url:
        lines += ["store:", "  backend: elasticsearch", "  elasticsearch:", f"    url: {es_url}",
                  f"    index_prefix: {prefix}"]
    path = folder / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
