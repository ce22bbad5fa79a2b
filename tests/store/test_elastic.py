"""What only the Elasticsearch store does: monthly indices behind an alias, an explicit mapping, bulk
writes that survive a busy cluster, refused documents reported and kept, and the spool."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta

import pytest

from monitor.config.model import ElasticConfig
from monitor.store.base import Query
from monitor.store.elastic import ElasticStore
from monitor.store.elastic_schema import MAPPING_VERSION
from tests.es.proxy import FaultProxy
from tests.store.records import incident, mention


@pytest.fixture
def proxy(es_url):
    proxy = FaultProxy(es_url).up()
    yield proxy
    proxy.down()


@pytest.fixture
def proxied_store(proxy, es_prefix, tmp_path):
    """A store that reaches the node through the fault proxy, with quick retries."""
    store = ElasticStore(ElasticConfig(url=proxy.url, index_prefix=es_prefix), spool_dir=tmp_path / "spool",
                         backoff=(0.05, 0.1, 0.2))
    yield store
    store.close()


def wait_for(check, seconds: float = 15.0):
    deadline = time.monotonic() + seconds
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return result


def test_mentions_go_to_the_month_they_were_published_in_behind_one_read_alias(elastic_store, es, es_prefix):
    elastic_store.upsert([mention(1, 0), mention(2, 60 * 24 * 10)])
    es.indices.refresh(index=f"{es_prefix}-mentions")
    months = sorted(es.indices.get_alias(name=f"{es_prefix}-mentions"))
    assert months == [f"{es_prefix}-mentions-v{MAPPING_VERSION}-2026.11", f"{es_prefix}-mentions-v{MAPPING_VERSION}-2026.12"]
    assert es.count(index=f"{es_prefix}-mentions")["count"] == 2


def test_the_mapping_is_explicit_and_versioned(elastic_store, es, es_prefix):
    elastic_store.upsert([mention(1, 0)])
    [mapping] = es.indices.get_mapping(index=f"{es_prefix}-mentions").values()
    props = mapping["mappings"]["properties"]
    types = {name: props[name]["type"] for name in ("@timestamp", "published_at", "crawled_at", "brands", "tokens",
                                                    "text", "sentiment", "sentiment_label", "engagement_total")}
    assert types == {"@timestamp": "date", "published_at": "date", "crawled_at": "date", "brands": "keyword",
                     "tokens": "keyword", "text": "text", "sentiment": "float", "sentiment_label": "keyword",
                     "engagement_total": "long"}
    assert props["author"]["properties"]["name"]["type"] == "keyword"
    assert mapping["mappings"]["_meta"]["version"] == MAPPING_VERSION
    template = es.indices.get_index_template(name=f"{es_prefix}-mentions")["index_templates"][0]["index_template"]
    assert template["_meta"]["version"] == MAPPING_VERSION


def test_chinese_words_are_aggregatable_for_kibana(elastic_store, es, es_prefix):
    elastic_store.upsert([mention(1, 0, text="小米 手机 发热"), mention(2, 1, text="小米 电池 发热")])
    es.indices.refresh(index=f"{es_prefix}-mentions")
    result = es.search(index=f"{es_prefix}-mentions", size=0, aggs={"w": {"terms": {"field": "tokens"}}})
    assert {b["key"]: b["doc_count"] for b in result["aggregations"]["w"]["buckets"]} == {
        "小米": 2, "发热": 2, "手机": 1, "电池": 1}


def test_setup_is_idempotent_and_says_what_it_did(elastic_store, es, es_prefix, es_url, tmp_path):
    assert elastic_store.ensure_setup() == "created"
    again = ElasticStore(ElasticConfig(url=es_url, index_prefix=es_prefix), spool_dir=tmp_path / "other")
    assert again.ensure_setup() == "ok"
    es.indices.delete(index=f"{es_prefix}-state-v{MAPPING_VERSION}")
    third = ElasticStore(ElasticConfig(url=es_url, index_prefix=es_prefix), spool_dir=tmp_path / "third")
    assert third.ensure_setup() == "completed"
    assert es.indices.exists_alias(name=f"{es_prefix}-state")


def test_search_finds_a_brand_name_the_query_splits(elastic_store):
    elastic_store.upsert([mention(1, 0, text="星河手机 屏幕 碎了"), mention(2, 1, text="手机 很 好")])
    assert [m.id for m in elastic_store.find(Query(text="星河手机"))] == ["forum:1"]


def test_a_refused_document_is_reported_and_kept_while_the_rest_is_stored(elastic_store, caplog):
    bad = mention(2, 1)
    bad.author.followers = "很多"  # what a careless selector yields
    with caplog.at_level(logging.ERROR, logger="monitor.store.elastic"):
        result = elastic_store.upsert([mention(1, 0), bad, mention(3, 2)])
    assert (result.new, result.updated, result.spooled) == (2, 0, 0)
    assert elastic_store.count(Query()) == 2
    assert "forum:2" in caplog.text and "author.followers" in caplog.text
    [kept] = [json.loads(line) for line in elastic_store.spool.rejected.read_text(encoding="utf-8").splitlines()]
    assert kept["mention"]["id"] == "forum:2" and "author.followers" in kept["reason"]


def test_a_busy_cluster_is_retried_with_backoff(proxied_store, proxy):
    proxied_store.ensure_setup()
    proxy.busy(2, status=429)
    result = proxied_store.upsert([mention(n, n) for n in range(5)])
    assert (result.new, result.spooled) == (5, 0)
    assert proxy.bulk_requests == 3
    assert proxied_store.count(Query()) == 5


def test_a_cluster_busy_past_every_retry_gets_the_batch_spooled_not_lost(proxied_store, proxy):
    proxied_store.ensure_setup()
    proxy.busy(4, status=503)
    result = proxied_store.upsert([mention(1, 0), mention(2, 1)])
    assert (result.new, result.spooled) == (0, 2)
    assert proxied_store.spool.pending() == 2
    assert wait_for(lambda: proxied_store.count(Query()) == 2)
    assert not proxied_store.spool.has_pending()


def test_while_the_cluster_is_away_mentions_spool_and_replay_in_order(proxied_store, proxy):
    proxied_store.upsert([mention(1, 0, likes=1)])
    proxy.down()
    assert not proxied_store.ping()
    assert proxied_store.upsert([mention(1, 0, likes=2), mention(2, 1)]).spooled == 2
    assert proxied_store.upsert([mention(1, 0, likes=3)]).spooled == 1  # a later re-crawl of the same post
    proxy.up()
    assert proxied_store.ping()
    assert wait_for(lambda: proxied_store.upsert([mention(3, 2)]).spooled == 0)
    assert proxied_store.count(Query()) == 3
    assert {m.id: m.engagement.likes for m in proxied_store.find(Query())}["forum:1"] == 3
    assert proxied_store.spool.pending() == 0


def test_setup_waits_for_an_unreachable_cluster_instead_of_failing(proxied_store, proxy):
    proxy.down()
    assert proxied_store.ensure_setup() == "unreachable"
    assert proxied_store.upsert([mention(1, 0)]).spooled == 1
    proxy.up()
    assert proxied_store.ensure_setup() == "created"
    assert wait_for(lambda: proxied_store.count(Query()) == 1)


def test_reads_see_spooled_mentions_once_the_cluster_is_back(proxied_store, proxy):
    proxy.down()
    proxied_store.upsert([mention(1, 0), mention(2, 1)])
    proxy.up()
    assert wait_for(lambda: proxied_store.count(Query(start=mention(1, 0).published_at - timedelta(hours=1))) == 2)


def test_a_demo_rerun_starts_without_the_last_runs_incidents_but_keeps_mentions(elastic_store):
    elastic_store.upsert([mention(1, 0)])
    elastic_store.save_incident(incident(1))
    elastic_store.put_state("spike:小米", [1, 2])
    elastic_store.clear_history()
    assert elastic_store.incidents() == [] and elastic_store.get_state("spike:小米") is None
    assert elastic_store.count(Query()) == 1


def test_named_state_written_while_the_cluster_is_away_is_kept_and_replayed(proxied_store, proxy, es_url, es_prefix,
                                                                               tmp_path):
    proxied_store.put_state("health:bbs", {"ok": 1})
    proxy.down()
    assert proxied_store.get_state("health:bbs") == {"ok": 1}  # the last value seen
    proxied_store.put_state("cursor:bbs", {"page": 3})
    assert proxied_store.get_state("cursor:bbs") == {"page": 3}
    proxy.up()

    def replayed() -> bool:
        proxied_store.get_state("anything")  # a state read replays what was kept, once the cluster answers
        return not proxied_store.spool.has_states()

    assert wait_for(replayed)
    direct = ElasticStore(ElasticConfig(url=es_url, index_prefix=es_prefix), spool_dir=tmp_path / "direct")
    assert direct.get_state("cursor:bbs") == {"page": 3}


def test_a_copy_left_in_an_old_month_by_a_crash_is_removed_by_the_next_write(elastic_store, es, es_prefix):
    elastic_store.upsert([mention(1, 0)])
    assert elastic_store.count(Query()) == 1
    moved = mention(1, 60 * 24 * 10)
    es.index(index=elastic_store.layout.month_index(moved.published_at), id=moved.id, refresh=True,
             document={"id": moved.id, "published_at": moved.published_at.isoformat()})  # the move, half done
    elastic_store.upsert([moved])
    assert elastic_store.count(Query()) == 1
    assert [m.published_at for m in elastic_store.find(Query())] == [moved.published_at]
