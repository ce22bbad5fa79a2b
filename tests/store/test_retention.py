"""Retention on Elasticsearch: whole monthly indices go once their month is past the retention."""

from __future__ import annotations

from datetime import timedelta

from monitor.config.model import ElasticConfig, RetentionConfig
from monitor.store.base import Query
from monitor.store.elastic import ElasticStore
from tests.es.node import es, es_prefix, es_url  # noqa: F401  (fixtures)
from tests.store.records import T0, mention


def test_monthly_indices_past_the_retention_are_deleted_and_the_rest_kept(es, es_url, es_prefix, tmp_path):
    store = ElasticStore(ElasticConfig(url=es_url, index_prefix=es_prefix),
                         retention=RetentionConfig(mentions=timedelta(days=30)))
    try:
        august, october, november = mention(1, -60 * 24 * 100), mention(2, -60 * 24 * 40), mention(3, 0)
        store.upsert([august, october, november])
        assert store.prune(T0) == {"indices": 1}  # August ended more than 30 days before T0; October did not
        assert sorted(m.id for m in store.find(Query())) == ["forum:2", "forum:3"]
        assert store.prune(T0) == {"indices": 0}
        names = sorted(es.indices.get(index=f"{es_prefix}-mentions-*"))
        assert [n.rsplit("-", 1)[1] for n in names] == ["2026.10", "2026.11"]
    finally:
        store.close()


def test_without_a_retention_elasticsearch_keeps_everything(es_url, es_prefix, tmp_path):
    store = ElasticStore(ElasticConfig(url=es_url, index_prefix=es_prefix))
    try:
        store.upsert([mention(1, -60 * 24 * 3000)])
        assert store.prune(T0) == {}
        assert store.count(Query()) == 1
    finally:
        store.close()
