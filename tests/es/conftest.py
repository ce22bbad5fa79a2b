"""Elasticsearch tests of the commands, the Kibana objects, the demo and an outage: a real node."""

from tests.es.node import elastic_store, es, es_prefix, es_url  # noqa: F401  (fixtures)
