"""Every store test runs against each backend the contract covers: the embedded store and a real
Elasticsearch node (fresh indices per test)."""

from __future__ import annotations

from tests.es.node import elastic_store, es, es_prefix, es_url, store  # noqa: F401  (fixtures)

