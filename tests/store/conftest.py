"""Every store test runs against each backend the contract covers: the embedded store and a real
Elasticsearch node (fresh indices per test)."""

from __future__ import annotations

import pytest

from monitor.store.sqlite import SqliteStore
from tests.es.node import elastic_store, es, es_prefix, es_url  # noqa: F401  (fixtures)


@pytest.fixture(params=["embedded", "elasticsearch"])
def store(request, tmp_path):
    if request.param == "elasticsearch":
        yield request.getfixturevalue("elastic_store")
        return
    backend = SqliteStore(tmp_path / "brandmon.db")
    yield backend
    backend.close()
