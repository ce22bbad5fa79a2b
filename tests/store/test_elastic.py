"""What only the Elasticsearch store does: monthly indices behind an alias, an explicit mapping, bulk
writes that survive a busy cluster, refused documents reported, StoreUnavailable while the cluster is
away, and indices deleted under a running store recreated."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter

import pytest

from monitor.config.model import ElasticConfig
from monitor.store.base import Query, StoreUnavailable
from monitor.store.elastic import ElasticStore
from monitor.store.elastic_schema import MAPPING_VERSION, create_index, mention_doc
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
    store = ElasticStore(ElasticConfig(url=proxy.url, index_prefix=es_prefix),
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


def test_a_stored_mention_leaves_out_its_empty_fields_and_reads_back_whole(elastic_store, es, es_prefix):
    sparse = mention(1, 0)  # no title, cluster, region, status, crisis words or categories; author without id
    full = mention(2, 1, crisis=["爆炸"], categories=["安全"])
    full.title, full.cluster_id, full.ip_location, full.status, full.author.id = "标题", "story-1", "广东", "处理中", "u2"
    elastic_store.upsert([sparse, full])
    es.indices.refresh(index=f"{es_prefix}-mentions")
    stored = {hit["_id"]: hit["_source"] for hit in es.search(index=f"{es_prefix}-mentions")["hits"]["hits"]}
    left_out = {"title", "title_words", "cluster_id", "ip_location", "status", "crisis_terms", "categories"}
    assert left_out.isdisjoint(stored["forum:1"]) and left_out <= set(stored["forum:2"])
    assert stored["forum:1"]["author"] == {"name": "用户1"}
    assert stored["forum:1"]["engagement"] == {"likes": 0}
    found = {m.id: m for m in elastic_store.find(Query(), limit=10)}
    assert found == {"forum:1": sparse, "forum:2": full}


def test_mention_indices_refresh_every_five_seconds_with_no_replica_on_one_node(elastic_store, es, es_prefix):
    elastic_store.upsert([mention(1, 0)])
    [settings] = es.indices.get_settings(index=f"{es_prefix}-mentions").values()
    index = settings["settings"]["index"]
    assert (index["refresh_interval"], index["number_of_replicas"], index.get("codec", "default")) == ("5s", "0", "default")


def test_chinese_words_are_aggregatable_for_kibana(elastic_store, es, es_prefix):
    elastic_store.upsert([mention(1, 0, text="小米 手机 发热"), mention(2, 1, text="小米 电池 发热")])
    es.indices.refresh(index=f"{es_prefix}-mentions")
    result = es.search(index=f"{es_prefix}-mentions", size=0, aggs={"w": {"terms": {"field": "tokens"}}})
    assert {b["key"]: b["doc_count"] for b in result["aggregations"]["w"]["buckets"]} == {
        "小米": 2, "发热": 2, "手机": 1, "电池": 1}


def test_setup_is_idempotent_and_says_what_it_did(elastic_store, es, es_prefix, es_url, tmp_path):
    assert elastic_store.ensure_setup() == "created"
    again = ElasticStore(ElasticConfig(url=es_url, index_prefix=es_prefix))
    assert again.ensure_setup() == "ok"
    es.indices.delete(index=f"{es_prefix}-state-v{MAPPING_VERSION}")
    third = ElasticStore(ElasticConfig(url=es_url, index_prefix=es_prefix))
    assert third.ensure_setup() == "completed"
    assert es.indices.exists_alias(name=f"{es_prefix}-state")


def test_search_finds_a_brand_name_the_query_splits(elastic_store):
    elastic_store.upsert([mention(1, 0, text="星河手机 屏幕 碎了"), mention(2, 1, text="手机 很 好")])
    assert [m.id for m in elastic_store.find(Query(text="星河手机"))] == ["forum:1"]


def test_a_refused_document_is_reported_with_its_reason_while_the_rest_is_stored(elastic_store, caplog):
    bad = mention(2, 1)
    bad.author.followers = "很多"  # what a careless selector yields
    with caplog.at_level(logging.ERROR, logger="monitor.store.elastic"):
        result = elastic_store.upsert([mention(1, 0), bad, mention(3, 2)])
    assert (result.new, result.updated) == (2, 0)
    assert elastic_store.count(Query()) == 2
    [(refused, reason)] = result.refused
    assert refused.id == "forum:2" and "author.followers" in reason
    assert "forum:2" in caplog.text


def test_a_busy_cluster_is_retried_with_backoff(proxied_store, proxy):
    proxied_store.ensure_setup()
    proxy.busy(2, status=429)
    result = proxied_store.upsert([mention(n, n) for n in range(5)])
    assert result.new == 5
    assert proxy.bulk_requests == 3 + 1  # the mentions, twice refused; then the rollups
    assert proxied_store.count(Query()) == 5


def _versions(es, store) -> Counter:
    """How many times each stored mention was written: Elasticsearch's _version, counted."""
    es.indices.refresh(index=store.layout.mentions)
    hits = es.search(index=store.layout.mentions, size=1000, version=True, source=False)["hits"]["hits"]
    return Counter(h["_version"] for h in hits)


def _rollups(es, store) -> Counter:
    es.indices.refresh(index=store.layout.alias("rollups"))
    hits = es.search(index=store.layout.alias("rollups"), size=1000)["hits"]["hits"]
    return Counter({(h["_source"]["brand"], h["_source"]["hour"], h["_source"]["sentiment"]): h["_source"]["n"]
                    for h in hits})


def _rollups_of(mentions) -> Counter:
    """What the rollups should hold for these mentions: per brand and `*`, per hour and sentiment."""
    out: Counter = Counter()
    for m in mentions:
        hour = int(m.published_at.timestamp()) // 3600 * 3_600_000
        for brand in (*m.brands, "*"):
            out[(brand, hour, m.sentiment_label)] += 1
    return out


def test_a_batch_split_over_concurrent_requests_is_written_once_with_its_counts_and_rollups(proxy, es, es_prefix):
    store = ElasticStore(ElasticConfig(url=proxy.url, index_prefix=es_prefix, bulk_concurrency=3),
                         backoff=(0.05, 0.1))
    labels = ("negative", "neutral", "positive")
    try:
        store.ensure_setup()
        batch = [mention(n, n % 90, label=labels[n % 3]) for n in range(300)]  # three requests of 100 at once
        proxy.busy(1, status=429)  # one of them is turned away once, and sent again
        sent = proxy.bulk_requests
        result = store.upsert(batch)
        assert (result.new, result.updated, result.refused) == (300, 0, ())
        assert proxy.bulk_requests - sent == 3 + 1 + 1  # the three, one of them again; the rollups' 12 keys
        assert _versions(es, store) == {1: 300}
        assert _rollups(es, store) == _rollups_of(batch)
        assert store.count(Query()) == 300  # the rules read between two crawls

        recrawl = [mention(n, n % 90, label=labels[(n + 1) % 3]) for n in range(300)]
        proxy.busy_with('"forum:150"', status=503)  # the middle request stays busy past every retry
        with pytest.raises(StoreUnavailable, match="still refusing"):
            store.upsert(recrawl)
        # the other two were answered before the error was raised; made searchable before the retry
        assert _versions(es, store) == {2: 200, 1: 100}
        proxy.busy_with(None)
        deadline = time.monotonic() + 30
        while True:  # as the daemon's queue retries the batch, once the store's pause after a failure is over
            try:
                result = store.upsert(recrawl)
                break
            except StoreUnavailable:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert (result.new, result.updated, result.refused) == (0, 300, ())
        assert _versions(es, store) == {3: 200, 2: 100}
        assert _rollups(es, store) == _rollups_of(recrawl)  # moved from the first crawl's sentiments, once
        assert store.count(Query(sentiments=("neutral",))) == 100
    finally:
        store.close()


def test_a_month_under_a_write_block_is_retried_until_the_block_lifts_not_refused(elastic_store, es):
    elastic_store.upsert([mention(1, 0)])
    month = elastic_store.layout.month_index(mention(1, 0).published_at)
    es.indices.add_block(index=month, block="write")  # what verify() does while it rebuilds a month
    lift = threading.Timer(1.0, lambda: es.indices.put_settings(index=month, settings={"index.blocks.write": False}))
    lift.start()
    try:
        result = elastic_store.upsert([mention(2, 0), mention(3, 0)])
    finally:
        lift.join()
    assert (result.new, result.refused) == (2, ())
    assert elastic_store.count(Query()) == 3


def test_a_cluster_busy_past_every_retry_raises_store_unavailable(proxied_store, proxy):
    proxied_store.ensure_setup()
    proxy.busy(4, status=503)
    with pytest.raises(StoreUnavailable, match="still refusing"):
        proxied_store.upsert([mention(1, 0), mention(2, 1)])
    assert wait_for(lambda: _stored(proxied_store, [mention(1, 0), mention(2, 1)]))
    assert proxied_store.count(Query()) == 2


def _stored(store, mentions) -> bool:
    try:
        store.upsert(mentions)
    except StoreUnavailable:
        return False
    return True


def test_while_the_cluster_is_away_every_call_raises_store_unavailable_quickly(proxied_store, proxy):
    proxied_store.upsert([mention(1, 0, likes=1)])
    proxy.down()
    assert not proxied_store.ping()
    with pytest.raises(StoreUnavailable):
        proxied_store.upsert([mention(2, 1)])
    started = time.monotonic()
    for call in (lambda: proxied_store.upsert([mention(2, 1)]), lambda: proxied_store.count(Query()),
                 lambda: proxied_store.incidents(), lambda: proxied_store.put_state("k", 1)):
        with pytest.raises(StoreUnavailable):
            call()
    assert time.monotonic() - started < 20  # paused, not one connection timeout per call
    proxy.up()
    assert wait_for(lambda: _stored(proxied_store, [mention(2, 1)]))
    assert proxied_store.count(Query()) == 2


def test_setup_waits_for_an_unreachable_cluster_instead_of_failing(proxied_store, proxy):
    proxy.down()
    assert proxied_store.ensure_setup() == "unreachable"
    with pytest.raises(StoreUnavailable):
        proxied_store.upsert([mention(1, 0)])
    proxy.up()
    assert wait_for(lambda: proxied_store.ensure_setup() == "created")


def test_a_demo_rerun_starts_without_the_last_runs_incidents_but_keeps_mentions(elastic_store):
    elastic_store.upsert([mention(1, 0)])
    elastic_store.save_incident(incident(1))
    elastic_store.put_state("spike:小米", [1, 2])
    elastic_store.clear_history()
    assert elastic_store.incidents() == [] and elastic_store.get_state("spike:小米") is None
    assert elastic_store.count(Query()) == 1


def test_named_state_reads_serve_the_last_value_seen_while_writes_raise(proxied_store, proxy):
    proxied_store.put_state("health:bbs", {"ok": 1})
    proxy.down()
    assert proxied_store.get_state("health:bbs") == {"ok": 1}  # the last value seen
    with pytest.raises(StoreUnavailable):
        proxied_store.put_state("cursor:bbs", {"page": 3})
    with pytest.raises(StoreUnavailable):
        proxied_store.get_state("never-seen")


def test_indices_deleted_under_a_running_store_are_recreated_never_auto_created_plain(elastic_store, es, es_prefix):
    elastic_store.upsert([mention(1, 0)])
    elastic_store.put_state("cursor", {"page": 1})
    es.indices.delete(index=",".join(es.indices.get(index=f"{es_prefix}-*")))
    es.indices.delete_index_template(name=f"{es_prefix}-mentions")
    with pytest.raises(StoreUnavailable, match="index_not_found"):
        elastic_store.put_state("cursor", {"page": 2})  # require_alias: no plain '<prefix>-state' index
    assert not es.indices.exists(index=f"{es_prefix}-state")
    assert elastic_store.verify() == "created"
    elastic_store.put_state("cursor", {"page": 2})
    assert es.indices.exists_alias(name=f"{es_prefix}-state")
    assert elastic_store.get_state("cursor") == {"page": 2}
    assert elastic_store.verify() == "ok"


def test_a_repair_made_by_a_write_is_still_reported_by_the_next_verify(elastic_store, es, es_prefix):
    elastic_store.put_state("cursor", {"page": 1})
    es.indices.delete(index=",".join(es.indices.get(index=f"{es_prefix}-*")))
    with pytest.raises(StoreUnavailable, match="index_not_found"):
        elastic_store.put_state("cursor", {"page": 2})
    elastic_store.put_state("cursor", {"page": 2})  # this write recreates them: the template was still there
    assert elastic_store.verify() == "completed"  # the heartbeat hears of it all the same
    assert elastic_store.verify() == "ok"


def test_a_month_auto_created_while_the_template_was_gone_is_rebuilt_with_its_mentions(elastic_store, es, es_prefix):
    elastic_store.upsert([mention(1, 0)])
    es.indices.delete(index=",".join(es.indices.get(index=f"{es_prefix}-*")))
    es.indices.delete_index_template(name=f"{es_prefix}-mentions")
    elastic_store.upsert([mention(2, 0), mention(3, 0)])  # Elasticsearch makes the month up, mapping guessed
    month = elastic_store.layout.month_index(mention(2, 0).published_at)
    assert not es.indices.exists_alias(name=f"{es_prefix}-mentions", index=month)
    assert elastic_store.verify() == f"created; rebuilt {month}"
    [mapping] = es.indices.get_mapping(index=f"{es_prefix}-mentions").values()
    assert (mapping["mappings"]["_meta"]["version"], mapping["mappings"]["properties"]["brands"]["type"]) == (
        MAPPING_VERSION, "keyword")
    assert sorted(m.id for m in elastic_store.find(Query(), 10)) == sorted([mention(2, 0).id, mention(3, 0).id])
    assert es.indices.get(index=f"{es_prefix}-mending-*", ignore_unavailable=True, allow_no_indices=True).body == {}
    assert elastic_store.verify() == "ok"


def test_a_month_half_rebuilt_when_the_process_died_is_finished_by_the_next_verify(elastic_store, es, es_prefix):
    elastic_store.ensure_setup()
    month = elastic_store.layout.month_index(mention(1, 0).published_at)
    holding = elastic_store.layout.holding(month)
    create_index(es, holding, "mentions", MAPPING_VERSION)  # the crash: documents only in the holding index
    for m in (mention(1, 0), mention(2, 0)):
        es.index(index=holding, id=m.id, document=mention_doc(m), refresh=True)
    elastic_store.upsert([mention(3, 0)])  # a write since: the template makes the month again
    assert elastic_store.verify() == f"rebuilt {month}"
    assert sorted(m.id for m in elastic_store.find(Query(), 10)) == sorted(mention(i, 0).id for i in (1, 2, 3))
    assert not es.indices.exists(index=holding)


def test_a_plain_index_squatting_an_alias_name_is_folded_into_the_real_index_at_setup(elastic_store, es, es_prefix):
    es.index(index=f"{es_prefix}-state", id="cursor", document={"key": "cursor", "value": {"page": 7}}, refresh=True)
    assert elastic_store.ensure_setup() == "created"  # not invalid_alias_name_exception
    assert es.indices.exists_alias(name=f"{es_prefix}-state")
    assert elastic_store.get_state("cursor") == {"page": 7}


def test_a_copy_left_in_an_old_month_by_a_crash_is_removed_by_the_next_write(elastic_store, es, es_prefix):
    elastic_store.upsert([mention(1, 0)])
    assert elastic_store.count(Query()) == 1
    moved = mention(1, 60 * 24 * 10)
    es.index(index=elastic_store.layout.month_index(moved.published_at), id=moved.id, refresh=True,
             document={"id": moved.id, "published_at": moved.published_at.isoformat()})  # the move, half done
    elastic_store.upsert([moved])
    assert elastic_store.count(Query()) == 1
    assert [m.published_at for m in elastic_store.find(Query())] == [moved.published_at]


def test_states_under_a_prefix_are_read_past_the_result_window_page_by_page(elastic_store, monkeypatch):
    from monitor.store import elastic

    for n in range(7):
        elastic_store.put_state(f"reply:forum:{n}", {"n": n})
    elastic_store.put_state("other", {"n": -1})
    monkeypatch.setattr(elastic, "MAX_RESULTS", 3)  # a window of 3: pages of 3, 3 and 1
    assert elastic_store.states("reply:", limit=100) == {f"reply:forum:{n}": {"n": n} for n in range(7)}
    assert list(elastic_store.states("reply:", limit=5)) == [f"reply:forum:{n}" for n in range(5)]
