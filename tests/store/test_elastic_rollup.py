"""Hourly rollups on Elasticsearch: kept at ingest, exact with two writers at once, counted again from
the mentions when they are missing, pruned by their own retention."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from monitor.config.model import ElasticConfig, RetentionConfig
from monitor.store.base import Query
from monitor.store.elastic import ElasticStore
from tests.store.records import T0, mention

DAY = Query(brand="小米", start=T0, end=T0 + timedelta(days=1))


def rollup_rows(es, prefix: str) -> Counter:
    es.indices.refresh(index=f"{prefix}-rollups")
    hits = es.search(index=f"{prefix}-rollups", size=1000)["hits"]["hits"]
    return Counter({(h["_source"]["brand"], h["_source"]["hour"], h["_source"]["sentiment"]): h["_source"]["n"]
                    for h in hits})


def test_every_write_is_counted_in_its_hour_and_a_recrawl_moves_its_count(elastic_store, es, es_prefix):
    elastic_store.upsert([mention(1, 10), mention(2, 20), mention(3, 70, label="positive")])
    hour = int(T0.timestamp()) * 1000
    assert rollup_rows(es, es_prefix) == {("小米", hour, "negative"): 2, ("*", hour, "negative"): 2,
                                          ("小米", hour + 3_600_000, "positive"): 1, ("*", hour + 3_600_000, "positive"): 1}
    elastic_store.upsert([mention(2, 20, label="positive"), mention(3, 70, label="positive", likes=9)])
    assert rollup_rows(es, es_prefix) == {("小米", hour, "negative"): 1, ("*", hour, "negative"): 1,
                                          ("小米", hour, "positive"): 1, ("*", hour, "positive"): 1,
                                          ("小米", hour + 3_600_000, "positive"): 1, ("*", hour + 3_600_000, "positive"): 1}
    assert elastic_store.counts([DAY, Query(sentiments=("positive",))]) == [3, 2]


def test_two_writers_counting_the_same_hours_at_once_lose_nothing(elastic_store, es_url, es_prefix):
    elastic_store.ensure_setup()
    other = ElasticStore(ElasticConfig(url=es_url, index_prefix=es_prefix))
    try:
        def write(store, first: int) -> None:
            for batch in range(6):
                store.upsert([mention(first + batch * 20 + k, k) for k in range(20)])  # every one in the first hour

        writers = [threading.Thread(target=write, args=(s, first)) for s, first in ((elastic_store, 0), (other, 1000))]
        for w in writers:
            w.start()
        for w in writers:
            w.join(timeout=300)
        # whole hours from the rollups; known_time makes the store count the mentions themselves
        assert elastic_store.count(DAY) == elastic_store.count(Query(brand="小米", known_time=True)) == 240
    finally:
        other.close()


def test_missing_rollups_are_counted_again_from_the_mentions(elastic_store, es, es_prefix):
    elastic_store.upsert([mention(n, n * 17, label=("negative", "positive")[n % 2]) for n in range(40)])
    before = rollup_rows(es, es_prefix)
    es.indices.delete(index=f"{es_prefix}-rollups-*")
    assert elastic_store.verify() == "completed"
    assert rollup_rows(es, es_prefix) == before
    assert elastic_store.count(DAY) == 40


def test_rollups_past_their_retention_are_deleted_and_the_mentions_keep_theirs(es_url, es_prefix, es):
    store = ElasticStore(ElasticConfig(url=es_url, index_prefix=es_prefix),
                         retention=RetentionConfig(rollups=timedelta(days=2)))
    try:
        store.upsert([mention(1, -60 * 24 * 5), mention(2, -60 * 24 * 5 + 60), mention(3, 0)])
        assert store.prune(T0) == {"rollups": 4}  # two hours, each for the brand and for `*`
        assert store.count(Query(brand="小米", start=T0, end=T0 + timedelta(hours=1))) == 1
        assert store.count(Query(brand="小米", known_time=True)) == 3
    finally:
        store.close()
