"""Hourly rollups in Elasticsearch, as the embedded store keeps them (monitor/store/sqlite.py roll_hour):
mentions per brand × hour × sentiment × source × platform, brand `*` counting every mention once.

They live in `<prefix>-rollups`, one small document per key holding its count `n`, kept at ingest:
each upsert adds what the batch's mentions contribute and takes away what the versions they replace
contributed (a re-crawl that moved a mention to another hour or sentiment moves its count), summed
per key over the batch. The cluster may have no scripting, so a key is read (_mget, real time) and
written back only if nobody changed it since (if_seq_no): a concurrent writer's change is read again
and added to, never lost. Whole hours of a count
are then summed over a few hundred documents instead of counting a brand's weeks of mentions; the
partial hours at a window's edges are counted on the mentions (monitor/store/hours.py).

The mentions and their rollups are two writes (Elasticsearch has no transaction): a writer killed
between them leaves its batch's hours short, until `rebuild` counts them again from the mentions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch, helpers

from monitor.clock import utc
from monitor.mention import Mention
from monitor.store.base import Query
from monitor.store.elastic_bulk import Action
from monitor.store.hours import HOUR

ALL = "*"  # the rollup "brand" that counts every mention once, whatever its brands
SEP = "\x1f"
Key = tuple[str, int, str, str, str]  # brand, hour (Unix seconds // 3600), sentiment, source, platform
# what a stored mention's contribution is read back from
SOURCE_FIELDS = ["brands", "published_at", "sentiment_label", "source", "platform"]
CAS_ROUNDS = 8  # read-and-write rounds for keys other writers keep changing, before giving up on them


def keys_of(m: Mention) -> list[Key]:
    return _keys(m.brands, utc(m.published_at), m.sentiment_label, m.source, m.platform)


def stored_keys(source: dict[str, Any]) -> list[Key]:
    """A stored document's contribution (SOURCE_FIELDS of its _source; none for a document without a time)."""
    if not source.get("published_at"):
        return []
    return _keys(source.get("brands") or [], utc(datetime.fromisoformat(source["published_at"])),
                 source.get("sentiment_label"), source.get("source") or "", source.get("platform") or "")


def _keys(brands: Iterable[str], at: datetime, sentiment: str | None, source: str, platform: str) -> list[Key]:
    hour = int(at.timestamp() // HOUR)
    return [(b, hour, sentiment or "", source, platform) for b in [*dict.fromkeys(brands), ALL]]


def doc_id(key: Key) -> str:
    return SEP.join(map(str, key))


def document(key: Key, n: int) -> dict[str, Any]:
    brand, hour, sentiment, source, platform = key
    return {"brand": brand, "hour": hour * HOUR * 1000, "sentiment": sentiment, "source": source,
            "platform": platform, "n": n}


def changes(index: str, deltas: dict[Key, int], stored: list[dict[str, Any]]) -> list[Action]:
    """The writes that add `deltas` to the keys' stored documents (_mget answers, in the same order): a
    key not stored yet is created, one falling to 0 deleted, each only if unchanged since it was read."""
    out = []
    for (key, n), doc in zip(deltas.items(), stored):
        if doc.get("found"):
            total, seq = doc["_source"]["n"] + n, (doc["_seq_no"], doc["_primary_term"])
            if total > 0:
                out.append(Action("index", index, doc_id(key), document(key, total), seq))
            else:
                out.append(Action("delete", index, doc_id(key), seq=seq))
        elif n > 0:
            out.append(Action("create", index, doc_id(key), document(key, n)))
    return out


def answers(q: Query) -> bool:
    """Can the rollups count this query's whole hours? Brand, sentiment, source and platform filters only
    (as the embedded store's roll_hour)."""
    return not (q.keywords or q.crisis or q.text is not None or q.min_followers is not None
                or q.min_engagement is not None or q.unique or q.authors or q.known_time or q.categories
                or q.picks_records())


def sum_request(q: Query, lo: float | None, hi: float | None) -> dict[str, Any]:
    """The search that sums the rollups of q's whole hours in [lo, hi) (Unix seconds on hour boundaries)."""
    f: list[dict[str, Any]] = [{"term": {"brand": q.brand or ALL}}]
    for field, values in (("sentiment", q.sentiments), ("source", q.sources), ("platform", q.platforms)):
        if values:
            f.append({"terms": {field: list(values)}})
    bounds = {}
    if lo is not None:
        bounds["gte"] = int(lo * 1000)
    if hi is not None:
        bounds["lt"] = int(hi * 1000)
    if bounds:
        f.append({"range": {"hour": {**bounds, "format": "epoch_millis"}}})
    return {"query": {"bool": {"filter": f}}, "size": 0, "aggs": {"n": {"sum": {"field": "n"}}}}


def summed(result: Any) -> int:
    body = getattr(result, "body", result)
    return int((body.get("aggregations") or {}).get("n", {}).get("value") or 0)


def rebuild(es: Elasticsearch, mentions: str, rollups: str, index: str) -> int:
    """Count every stored mention into fresh rollups (a new rollups index, or one repaired): a composite
    aggregation per brand and for `*`, written as documents; how many were written. Run it while nothing
    writes mentions (setup, repair), or the batches written meanwhile may be counted twice."""
    es.indices.refresh(index=mentions, ignore_unavailable=True, allow_no_indices=True)
    hour = {"hour": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h"}}}
    rest = [{"sentiment": {"terms": {"field": "sentiment_label", "missing_bucket": True}}},
            {"source": {"terms": {"field": "source", "missing_bucket": True}}},
            {"platform": {"terms": {"field": "platform", "missing_bucket": True}}}]
    written = 0
    for brand_source in ({"brand": {"terms": {"field": "brands"}}}, None):
        sources = ([brand_source] if brand_source else []) + [hour] + rest
        after = None
        while True:
            composite: dict[str, Any] = {"size": 5000, "sources": sources}
            if after:
                composite["after"] = after
            result = es.search(index=mentions, size=0, aggs={"c": {"composite": composite}},
                               ignore_unavailable=True, allow_no_indices=True)
            agg = (result.body.get("aggregations") or {}).get("c")
            if not agg or not agg["buckets"]:
                break
            docs = []
            for b in agg["buckets"]:
                k = b["key"]
                key = (k.get("brand", ALL), int(k["hour"] // 1000 // HOUR), k["sentiment"] or "", k["source"] or "",
                       k["platform"] or "")
                docs.append({"_op_type": "index", "_index": index, "_id": doc_id(key),
                             "_source": document(key, b["doc_count"])})
            helpers.bulk(es, docs)
            written += len(docs)
            after = agg.get("after_key")
            if not after:
                break
    es.indices.refresh(index=rollups)
    return written
