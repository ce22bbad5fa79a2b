"""Elasticsearch as the store, for production: several crawlers feed one index that the rules and
Kibana read. Same behaviour as the embedded store (tests/store/test_contract.py runs on both).

When the cluster is unreachable, or its indices vanished, every call raises StoreUnavailable at
once (after the first timeout, for a growing pause) and the caller keeps its work in the daemon's
durable queue (monitor/queue.py) until the cluster answers again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from elasticsearch import ApiError, ConflictError, ConnectionTimeout, Elasticsearch, NotFoundError
from elasticsearch import ConnectionError as EsConnectionError

from monitor.clock import utc
from monitor.config.model import ElasticConfig, RetentionConfig, SlaTier
from monitor.incident import Delivery, Event, Incident
from monitor.mention import Mention
from monitor.store import elastic_rollup as rollup
from monitor.store import matching
from monitor.store.base import Fence, FencedOff, Query, Store, UpsertResult, raising_unavailable
from monitor.store.elastic_bulk import BACKOFF, Action, BulkSender, Unreachable, retryable
from monitor.store.elastic_schema import (DELIVERY_FIELDS, EVENT_FIELDS, FAMILY_PROPERTIES, INCIDENT_FIELDS, Layout,
                                          MappingOutdated, install, mend_months, mention_doc, mention_from,
                                          only)
from monitor.store.hours import HOUR, pieces

log = logging.getLogger(__name__)

LOOKUP_CHUNK = 1000  # ids per "where is it now?" query
MSEARCH_CHUNK = 200  # searches per _msearch request
STATE_CHUNK = 1000  # keys per _mget request
FRESH_MAX = 50_000  # mentions written but not yet searchable that the store keeps track of
MAX_RESULTS = 10_000  # ES's default result window
FACET_FIELDS = {"platform": "platform", "source": "source", "region": "ip_location", "category": "categories"}
RECHECK_MAX = 10.0  # seconds between attempts to reach a cluster that was down
# distinct stories; below the threshold the count is exact but for 64-bit hash collisions
STORIES = {"stories": {"cardinality": {"field": "story", "precision_threshold": 40_000}}}
AUTHORS = {"stories": {"cardinality": {"field": "author.id", "missing": "", "precision_threshold": 40_000}}}
ANY_INDEX = {"ignore_unavailable": True, "allow_no_indices": True}  # before the first mention, no month exists


def connect(config: ElasticConfig, timeout: float = 30.0) -> Elasticsearch:
    """`url` may list several nodes of one cluster, comma-separated: a request a node cannot answer is
    tried on the next one before the store calls the cluster unreachable."""
    auth = (config.username, config.password or "") if config.username else None
    nodes = [u.strip() for u in config.url.split(",") if u.strip()]
    return Elasticsearch(nodes, basic_auth=auth, request_timeout=timeout, max_retries=len(nodes) - 1,
                         retry_on_status=())


def unreachable(exc: Exception) -> bool:
    """Does this error mean "try later" (down, timing out, busy) rather than "this request is wrong"?"""
    if isinstance(exc, (Unreachable, EsConnectionError, ConnectionTimeout)):
        return True
    return isinstance(exc, ApiError) and retryable(exc.meta.status)


def index_missing(exc: Exception) -> bool:
    """An index or alias brandmon writes to is gone (deleted under the running daemon)."""
    return isinstance(exc, ApiError) and exc.meta.status == 404 and "index_not_found" in str(exc.error)


class Paused(Unreachable):
    """Not even tried: the cluster failed moments ago and the store waits before the next attempt."""


class ElasticStore(Store):
    def __init__(self, config: ElasticConfig, backoff: Sequence[float] = BACKOFF,
                 retention: RetentionConfig | None = None) -> None:
        self.layout = Layout(config.index_prefix)
        self.retention = retention or RetentionConfig()
        self.es = connect(config)
        self.bulk = BulkSender(self.es, backoff=backoff, concurrency=config.bulk_concurrency)
        self._ready = False
        self._seen_ready = False
        self._lock = threading.RLock()
        self._seq = 0
        self._recheck_at = 0.0
        self._down_for = 0.0
        self._known_state: dict[str, Any] = {}  # last values seen, served while the cluster is away
        self._dirty: set[str] = set()  # indices written since the last refresh
        # mention id → (index, its rollup keys), for those written since the last refresh
        self._fresh: dict[str, tuple[str, list[rollup.Key]]] = {}
        # mention id → where it was stored and what the rollups count of it, for those of a batch whose write
        # failed part way (some may be written, none counted): the retry counts from that, not from what it finds
        self._uncounted: dict[str, tuple[set[str], dict[str, list[rollup.Key]]]] = {}
        self._repaired: list[str] = []  # what any call recreated since verify() last reported it

    # setup
    def ensure_setup(self) -> str:
        """Create the template, indices and aliases that are missing (idempotent): 'created', 'completed'
        or 'ok'; 'unreachable' when the cluster does not answer (the first write that reaches it sets
        up, work waits in the queue meanwhile). Raises MappingOutdated rather than touch another
        version's indices."""
        try:
            return self._setup()
        except Exception as exc:
            if not unreachable(exc):
                raise
            log.warning("Elasticsearch unreachable at setup (%s); work waits in the queue until it answers", exc)
            return "unreachable"

    def _setup(self) -> str:
        with self._lock:
            if not self._reachable():
                raise Paused(f"Elasticsearch did not answer {self._down_for:.0f} s ago; trying again shortly")
            if self._ready:
                return "ok"
            status = install(self.es, self.layout)
            if status != "ok" and self._seen_ready:
                self._repaired.append(status)  # 'created' (the template too) or 'completed'
            self._ready = self._seen_ready = True
            return status

    def verify(self) -> str:
        """Check, and repair, the template, indices and aliases under a running daemon (someone may have
        deleted them, or a write auto-created a monthly index while the template was gone): 'ok', or what
        was repaired since the last call, by this check or by any write that found its index gone first.
        The one place a repair is reported, so the caller (the daemon's heartbeat) never misses one.
        Raises StoreUnavailable with the reason when the check cannot run."""
        with self._lock:
            self._ready = False
            self._setup()
            mended = mend_months(self.es, self.layout)
            if mended:
                self._repaired.append(f"rebuilt {', '.join(mended)}")
            self._answered()
            repaired, self._repaired = self._repaired, []
        if not repaired:
            return "ok"
        log.info("Elasticsearch indices under '%s' repaired: %s", self.layout.prefix, "; ".join(repaired))
        return "; ".join(dict.fromkeys(repaired))

    def clear_history(self) -> None:
        """Delete incidents, timelines, the notification log and named state; mentions stay.
        For a demo rerun on a node that outlives the demo's folder."""
        with self._lock:
            for family in FAMILY_PROPERTIES:
                if family == "rollups":  # they count the mentions, which stay
                    continue
                names = list(self.es.indices.get(index=self.layout.alias(family), **ANY_INDEX))
                if names:
                    self.es.indices.delete(index=",".join(names))
            self._known_state.clear()
            self._ready = False

    # mentions
    def upsert(self, mentions: list[Mention]) -> UpsertResult:
        return self._index(mentions)

    def _reachable(self) -> bool:
        """False for a while after a failure, so a vanished cluster costs one timeout, not one per call."""
        return time.monotonic() >= self._recheck_at

    def _went_down(self, exc: Exception) -> None:
        if not self._down_for:
            log.warning("Elasticsearch unreachable: %s", exc)
        self._down_for = min(max(1.0, self._down_for * 2), RECHECK_MAX)
        self._recheck_at = time.monotonic() + self._down_for

    def _answered(self) -> None:
        if self._down_for:
            log.warning("Elasticsearch answers again")
        self._down_for = 0.0

    def _index(self, mentions: list[Mention]) -> UpsertResult:
        """Write by id into the month the mention was published in; a mention whose published time
        moved to another month since it was stored leaves its old index, so it never exists twice."""
        self._setup()
        latest: dict[str, Mention] = {}
        repeats = 0
        for m in mentions:
            repeats += m.id in latest
            latest[m.id] = m
        lookup = self.bulk.beside(self._where, list(latest))  # read before the first write, beside the building
        targets = {i: self.layout.month_index(m.published_at) for i, m in latest.items()}
        writes = [Action("index", targets[i], i, mention_doc(m)) for i, m in latest.items()]
        stored_in, copies = lookup.result()
        # what the rollups count of each: its only copy; of two (a move a crash cut short), the old one
        before = {i: next((keys for index, keys in found.items() if index != targets[i]), found.get(targets[i], []))
                  for i, found in copies.items()}
        counted = {i: rollup.keys_of(m) for i, m in latest.items()}
        # the rollups' current counts, read while the mentions are indexed (writes are conditional on them anyway)
        expected = _deltas(counted, before)
        counts = self.bulk.beside(self._rollup_docs, list(expected)) if expected else None
        try:
            report = self.bulk.send(writes)
        except Exception:
            self._uncounted.update((i, (stored_in.get(i, set()), copies.get(i, {}))) for i in latest)
            raise
        for i in latest:
            self._uncounted.pop(i, None)
        self._answered()
        refused = {e.id for e in report.errors}
        moved = [Action("delete", index, i) for i in latest if i not in refused
                 for index in sorted(stored_in.get(i, ())) if index != targets[i]]
        if moved:
            report.errors += self.bulk.send(moved).errors
        for error in report.errors:
            log.error("Elasticsearch refused mention %s", error)
        stored = [i for i in latest if i not in refused]
        counted = {i: counted[i] for i in stored}
        try:
            self._count_in(counted, before, counts)
        except Exception:
            hours = sorted({datetime.fromtimestamp(k[1] * HOUR, timezone.utc).isoformat() for k in
                            (*(k for ks in counted.values() for k in ks), *(k for ks in before.values() for k in ks))})
            log.error("mentions written but their rollup counts not: hours %s are short until the rollups are "
                      "counted again (delete %s-rollups-* and run `brandmon es setup`)", ", ".join(hours),
                      self.layout.prefix)
            raise
        self._fresh.update((i, (targets[i], counted[i])) for i in stored)
        self._dirty |= set(targets.values()) | {a.index for a in moved}
        if len(self._fresh) > FRESH_MAX:
            self._refresh()
        new = sum(1 for i in stored if i not in stored_in)
        return UpsertResult(new=new, updated=len(stored) - new + repeats,
                            refused=tuple((latest[e.id], str(e)) for e in report.errors if e.id in latest))

    def _refresh(self) -> None:
        """Make what was written searchable: once before the next read, not after every write, which
        would slow bulk indexing and leave the index in tiny segments."""
        with self._lock:
            if self._dirty:
                self.es.indices.refresh(index=",".join(sorted(self._dirty)), **ANY_INDEX)
                self._dirty.clear()
                self._fresh.clear()

    def _count_in(self, counted: dict[str, list[rollup.Key]], before: dict[str, list[rollup.Key]],
                  read: Future[dict[str, dict[str, Any]]] | None = None) -> None:
        """Add the written mentions to the rollups and take away the versions they replaced: read the
        keys (or take them as `read` while the mentions were written), write them back unless changed
        meanwhile, again for those that were (monitor/store/elastic_rollup.py)."""
        pending = _deltas(counted, before)
        index = self.layout.alias("rollups")
        early = read.result() if read is not None else {}
        for _ in range(rollup.CAS_ROUNDS):
            if not pending:
                break
            ids = [rollup.doc_id(k) for k in pending]
            missing = [k for k, i in zip(pending, ids) if i not in early]
            found = {**early, **(self._rollup_docs(missing) if missing else {})}
            early = {}  # read once: a key changed meanwhile is read again
            report = self.bulk.send(rollup.changes(index, pending, [found[i] for i in ids]))
            self._dirty.add(index)
            again = {e.id for e in report.errors if e.status == 409}
            for error in report.errors:
                if error.status != 409:
                    log.error("Elasticsearch refused a rollup count: %s", error)
            pending = {k: n for k, n in pending.items() if rollup.doc_id(k) in again}
        if pending:
            log.error("rollup counts of %d keys not written: other writers kept changing them", len(pending))

    def _rollup_docs(self, keys: list[rollup.Key]) -> dict[str, dict[str, Any]]:
        """The stored rollup documents of these keys (real time, with their versions), by document id."""
        ids = [rollup.doc_id(k) for k in keys]
        docs = self.es.mget(index=self.layout.alias("rollups"), ids=ids)["docs"]
        return dict(zip(ids, docs))

    def _where(self, ids: list[str]) -> tuple[dict[str, set[str]], dict[str, dict[str, list[rollup.Key]]]]:
        """Which indices hold each of these mentions now (more than one only if a writer died between
        writing a moved mention and deleting its old copy: the next write cleans up), and what each copy
        would count in the rollups, by index."""
        found: dict[str, set[str]] = {}
        keys: dict[str, dict[str, list[rollup.Key]]] = {}
        for start in range(0, len(ids), LOOKUP_CHUNK):
            chunk = ids[start:start + LOOKUP_CHUNK]
            hits = self.es.search(index=self.layout.mentions, query={"ids": {"values": chunk}},
                                  source=rollup.SOURCE_FIELDS, size=2 * len(chunk), **ANY_INDEX)["hits"]["hits"]
            for hit in hits:
                found.setdefault(hit["_id"], set()).add(hit["_index"])
                keys.setdefault(hit["_id"], {})[hit["_index"]] = rollup.stored_keys(hit["_source"])
        for i in ids:
            if i in self._fresh:  # written, not yet searchable
                index, counted = self._fresh[i]
                found[i], keys[i] = {index}, {index: counted}
            if i in self._uncounted:  # maybe written by a failed try, but not counted
                found[i], keys[i] = self._uncounted[i]
                if not found[i]:
                    del found[i], keys[i]
        return found, keys

    def _mentions(self, **request: Any) -> dict[str, Any]:
        self._setup()
        self._refresh()
        return self.es.search(index=self.layout.mentions, **ANY_INDEX, **request)

    def count(self, query: Query) -> int:
        plan = self._count_plan(query)
        if len(plan) == 1:
            index, q, body = plan[0]
            self._setup()
            self._refresh()
            return _counted(q, self.es.search(index=index, **ANY_INDEX, **body))
        return self.read_many([("count", (query,))])[0]

    def read_many(self, reads: Sequence[tuple[str, tuple]]) -> list[Any]:
        """Every search of every read (a count's whole hours from the rollups and its edges from the
        mentions; top words; term counts) in one _msearch per MSEARCH_CHUNK searches. A search the cluster
        could not answer there (e.g. its search queue was full) is asked again on its own, so its error is
        the one a lone search gives. Other reads are made one by one."""
        self._setup()
        self._refresh()
        plans = [self._read_plan(name, args) for name, args in reads]
        searches = [(n, index, body) for n, plan in enumerate(plans) if plan for index, body in plan[0]]
        answers: list[list[Any]] = [[] for _ in reads]
        for start in range(0, len(searches), MSEARCH_CHUNK):
            chunk = searches[start:start + MSEARCH_CHUNK]
            body: list[dict[str, Any]] = []
            for _, index, request in chunk:
                body += [{"index": index, **ANY_INDEX}, request]
            responses = self.es.msearch(searches=body)["responses"]
            for (n, index, request), r in zip(chunk, responses):
                answers[n].append(self.es.search(index=index, **ANY_INDEX, **request) if "error" in r else r)
        return [plan[1](answers[n]) if plan else getattr(self, name)(*args)
                for n, (plan, (name, args)) in enumerate(zip(plans, reads))]

    def _read_plan(self, name: str, args: tuple) -> tuple[list[tuple[str, dict[str, Any]]], Any] | None:
        """(the searches, and what makes the read's answer of their responses), or None: read on its own."""
        if name == "count":
            steps = self._count_plan(args[0])
            return [(index, body) for index, _, body in steps], \
                lambda rs, steps=steps: sum(_counted(q, r) for (_, q, _), r in zip(steps, rs))
        if name == "facet_counts":
            return [(self.layout.mentions, _facet_request(*args))], lambda rs: _top_terms_from(rs[0])
        if name == "top_authors":
            return [(self.layout.mentions, _authors_request(*args))], lambda rs: _authors_from(rs[0])
        if name == "sla_counts":
            return [(self.layout.mentions, _sla_request(*args))], lambda rs, n=len(args[1]): _sla_from(rs[0], n)
        if name == "top_terms":
            return [(self.layout.mentions, _top_terms_request(*args))], lambda rs: _top_terms_from(rs[0])
        if name == "term_counts":
            wanted = list(dict.fromkeys(args[1]))
            if not wanted:
                return [], lambda rs: {}
            return [(self.layout.mentions, _term_counts_request(args[0], wanted))], \
                lambda rs: _term_counts_from(rs[0], wanted)
        return None

    def _count_plan(self, query: Query) -> list[tuple[str, Query | None, dict[str, Any]]]:
        """(index, query or None for a rollup sum, search body) of each search a count adds up."""
        if not rollup.answers(query):
            return [(self.layout.mentions, query, _count_request(query))]
        plan = []
        for lo, hi, whole in pieces(query):
            if whole:
                plan.append((self.layout.alias("rollups"), None, rollup.sum_request(query, lo, hi)))
            else:
                edge = replace(query, start=_from_seconds(lo), end=_from_seconds(hi))
                plan.append((self.layout.mentions, edge, _count_request(edge)))
        return plan

    def histogram(self, query: Query, bucket: timedelta) -> list[tuple[datetime, int]]:
        if query.start is None or query.end is None:
            raise ValueError("a histogram needs a start and an end")
        size = int(bucket.total_seconds() * 1000)
        start, end = _millis(query.start), _millis(query.end)
        histogram: dict[str, Any] = {"date_histogram": {
            "field": "@timestamp", "fixed_interval": f"{size}ms", "min_doc_count": 0,
            "extended_bounds": {"min": start, "max": end - 1}}}
        if query.unique or query.authors:
            histogram["aggs"] = _distinct(query)
        result = self._mentions(query=es_query(query), size=0, aggs={"h": histogram})
        counts = {b["key"]: int(b["stories"]["value"]) if query.unique or query.authors else b["doc_count"]
                  for b in _aggregation(result, "h")["buckets"]}
        return [(datetime.fromtimestamp(k / 1000, timezone.utc), counts.get(k, 0))
                for k in range(start // size * size, end, size)]

    def find(self, query: Query, limit: int = 20, order: str = "recent") -> list[Mention]:
        sort = [{"@timestamp": "desc"}, {"id": "desc"}]
        if order == "engagement":
            sort.insert(0, {"engagement_total": "desc"})
        hits = self._mentions(query=es_query(query), size=min(limit, MAX_RESULTS), sort=sort)["hits"]["hits"]
        return [mention_from(h["_source"]) for h in hits]

    def find_page(self, query: Query, size: int, after: Any = None,
                  fields: tuple[str, ...] | None = None) -> tuple[list, Any]:
        """search_after on (@timestamp, id): the cursor is the last hit's sort values."""
        size = min(size, MAX_RESULTS)
        hits = self._mentions(query=es_query(query), size=size, sort=[{"@timestamp": "asc"}, {"id": "asc"}],
                              track_total_hits=False, **({"_source": list(fields)} if fields else {}),
                              **({"search_after": list(after)} if after else {}))["hits"]["hits"]
        cursor = tuple(hits[-1]["sort"]) if len(hits) == size else None
        if fields:
            return [tuple(_dotted(h["_source"], f) for f in fields) for h in hits], cursor
        return [mention_from(h["_source"]) for h in hits], cursor

    def find_fields(self, query: Query, fields: tuple[str, ...], limit: int = 20) -> list[tuple]:
        hits = self._mentions(query=es_query(query), size=min(limit, MAX_RESULTS), _source=list(fields),
                              sort=[{"@timestamp": "desc"}, {"id": "desc"}])["hits"]["hits"]
        return [tuple(_dotted(h["_source"], f) for f in fields) for h in hits]

    def top_terms(self, query: Query, limit: int = 10) -> list[tuple[str, int]]:
        return _top_terms_from(self._mentions(**_top_terms_request(query, limit)))

    def term_counts(self, query: Query, terms: Iterable[str]) -> dict[str, int]:
        wanted = list(dict.fromkeys(terms))
        if not wanted:
            return {}
        return _term_counts_from(self._mentions(**_term_counts_request(query, wanted)), wanted)

    def facet_counts(self, query: Query, facet: str, limit: int = 10) -> list[tuple[str, int]]:
        return _top_terms_from(self._mentions(**_facet_request(query, facet, limit)))

    def sla_counts(self, query: Query, tiers: Sequence[SlaTier], now: datetime) -> list[tuple[int, int]]:
        """One search: a filter per tier (it, and none of the tiers before it), each with its due part."""
        if not tiers:
            return []
        return _sla_from(self._mentions(**_sla_request(query, tiers, now)), len(tiers))

    def top_authors(self, query: Query, limit: int = 10) -> list[tuple[str, int, int | None]]:
        return _authors_from(self._mentions(**_authors_request(query, limit)))

    def top_stories(self, query: Query, limit: int = 5) -> list[tuple[Mention, int]]:
        """Stories sized first; then, for those few, their most engaged mention (one hit per story by
        collapsing): a top_hits under the terms aggregation would be collected for every story."""
        result = self._mentions(query=es_query(query), size=0, aggs={"t": {"terms": {
            "field": "story", "size": limit, "shard_size": max(limit * 10, 10_000),
            "order": [{"_count": "desc"}, {"e": "desc"}, {"_key": "asc"}]},
            "aggs": {"e": {"max": {"field": "engagement_total"}}}}})
        sizes = {b["key"]: b["doc_count"] for b in _aggregation(result, "t")["buckets"]}
        if not sizes:
            return []
        narrowed = es_query(query)
        narrowed["bool"]["filter"].append({"terms": {"story": list(sizes)}})
        hits = self._mentions(query=narrowed, size=len(sizes), collapse={"field": "story"},
                              sort=[{"engagement_total": "desc"}, {"@timestamp": "desc"}, {"id": "desc"}])["hits"]["hits"]
        best = {h["fields"]["story"][0]: mention_from(h["_source"]) for h in hits}
        return [(best[story], n) for story, n in sizes.items() if story in best]

    # retention
    def prune(self, now: datetime) -> dict[str, int]:
        """Delete whole monthly indices whose month ended before the retention (a mention is kept at
        most a month longer than asked; the cheapest deletion Elasticsearch has), and rollups of hours
        before theirs."""
        gone: dict[str, int] = {}
        if self.retention.rollups is not None:
            self._setup()
            cutoff = _millis(now - self.retention.rollups) // (HOUR * 1000) * HOUR * 1000
            gone["rollups"] = self._delete_rollups({"range": {"hour": {"lt": cutoff, "format": "epoch_millis"}}})
        if self.retention.mentions is None:
            return gone
        self._setup()
        cutoff = utc(now - self.retention.mentions)
        months = []
        for name in self.es.indices.get(index=self.layout.mentions_pattern, **ANY_INDEX):
            month_end = self.layout.month_end(name)
            if month_end is not None and month_end <= cutoff:
                months.append(name)
        if months:
            self.es.indices.delete(index=",".join(months))
            log.info("retention: deleted %s", ", ".join(months))
        return {**gone, "indices": len(months)}

    def _delete_rollups(self, query: dict[str, Any]) -> int:
        """Scroll and bulk-delete (the cluster may lack _delete_by_query); how many went."""
        from elasticsearch import helpers

        index = self.layout.alias("rollups")
        self.es.indices.refresh(index=index)
        ids = [hit["_id"] for hit in helpers.scan(self.es, index=index, query={"query": query}, _source=False)]
        report = self.bulk.send([Action("delete", index, i) for i in ids])
        self.es.indices.refresh(index=index)
        return report.done

    # incidents, their timeline and notification log
    def _write(self, family: str, **request: Any) -> None:
        self._setup()
        self.es.index(index=self.layout.alias(family), refresh=True, require_alias=True, **request)

    def _search(self, family: str, **request: Any) -> Iterator[dict[str, Any]]:
        self._setup()
        hits = self.es.search(index=self.layout.alias(family), **request)["hits"]["hits"]
        return (h["_source"] for h in hits)

    def _next_seq(self) -> int:
        """Increasing within this process, and close to wall time across processes: insertion order."""
        with self._lock:
            self._seq = max(time.time_ns(), self._seq + 1)
            return self._seq

    def save_incident(self, incident: Incident, fence: Fence | None = None) -> None:
        self._check_fence(fence)
        self._write("incidents", id=incident.id, document=incident.to_dict())

    def get_incident(self, incident_id: str) -> Incident | None:
        self._setup()
        try:
            found = self.es.get(index=self.layout.alias("incidents"), id=incident_id)
        except NotFoundError:
            return None
        return Incident.from_dict(only(INCIDENT_FIELDS, found["_source"]))

    def incidents(self, states: tuple[str, ...] = (), limit: int = 100) -> list[Incident]:
        query = {"terms": {"state": list(states)}} if states else {"match_all": {}}
        found = self._search("incidents", query=query, size=min(limit, MAX_RESULTS),
                             sort=[{"opened_at": "desc"}, {"id": "desc"}])
        return [Incident.from_dict(only(INCIDENT_FIELDS, s)) for s in found]

    def add_event(self, event: Event) -> None:
        self._write("events", document={**event.to_dict(), "seq": self._next_seq()})

    def events(self, incident_id: str) -> list[Event]:
        found = self._search("events", query={"term": {"incident_id": incident_id}}, size=MAX_RESULTS,
                             sort=[{"seq": "asc"}])
        return [Event.from_dict(only(EVENT_FIELDS, s)) for s in found]

    def claim_delivery(self, incident_id: str, step: str, channel: str, at: datetime, fence: Fence | None = None) -> bool:
        """`create` on an id made of (incident, step, channel) succeeds once, whoever else tries."""
        self._setup()
        self._check_fence(fence)
        row = Delivery(incident_id, step, channel, "pending", utc(at))
        try:
            self.es.create(index=self.layout.alias("deliveries"), id=_delivery_id(incident_id, step, channel),
                           document={**row.to_dict(), "seq": self._next_seq()}, refresh=True, require_alias=True)
        except ConflictError:
            return False
        return True

    def finish_delivery(self, incident_id: str, step: str, channel: str, status: str,
                        at: datetime, attempts: int, error: str | None = None) -> None:
        self._setup()
        try:
            self.es.update(index=self.layout.alias("deliveries"), id=_delivery_id(incident_id, step, channel),
                           doc={"status": status, "at": utc(at).isoformat(), "attempts": attempts, "error": error},
                           refresh=True, require_alias=True)
        except NotFoundError as exc:
            if index_missing(exc):
                raise
            log.warning("no claimed delivery %s to finish", _delivery_id(incident_id, step, channel))

    def deliveries(self, incident_id: str | None = None) -> list[Delivery]:
        query = {"term": {"incident_id": incident_id}} if incident_id else {"match_all": {}}
        found = self._search("deliveries", query=query, size=MAX_RESULTS, sort=[{"at": "asc"}, {"seq": "asc"}])
        return [Delivery.from_dict(only(DELIVERY_FIELDS, s)) for s in found]

    # named state: while the cluster is away, reads get the last value this process saw
    def get_state(self, key: str) -> Any | None:
        try:
            value = self._get_state(key)
        except Exception as exc:
            if not (unreachable(exc) and key in self._known_state):
                raise
            return self._known_state[key]
        self._known_state[key] = value
        return value

    def get_states(self, keys: list[str]) -> dict[str, Any]:
        """One _mget per STATE_CHUNK keys (the reply figures read one per complaint of a brand-week)."""
        self._setup()
        out: dict[str, Any] = {}
        for start in range(0, len(keys), STATE_CHUNK):
            chunk = keys[start:start + STATE_CHUNK]
            docs = self.es.mget(index=self.layout.alias("state"), ids=chunk)["docs"]
            if any("error" in doc for doc in docs):  # e.g. the index deleted: get_state's errors and repair
                out.update(super().get_states(chunk))
                continue
            out.update((doc["_id"], doc["_source"].get("value")) for doc in docs if doc.get("found"))
        return out

    def put_state(self, key: str, value: Any) -> None:
        self._setup()
        self.es.index(index=self.layout.alias("state"), id=key, document={"key": key, "value": value},
                      require_alias=True)
        self._known_state[key] = value

    def states(self, prefix: str, limit: int = 1000) -> dict[str, Any]:
        """A search, so the state index is refreshed first: a status written a moment ago is listed."""
        self._setup()
        self.es.indices.refresh(index=self.layout.alias("state"))
        out: dict[str, Any] = {}
        after: list[Any] | None = None
        while len(out) < limit:  # pages past the result window (a report reads every reply mark)
            size = min(limit - len(out), MAX_RESULTS)
            hits = self.es.search(index=self.layout.alias("state"), query={"prefix": {"key": prefix}},
                                  size=size, sort=[{"key": "asc"}],
                                  **({"search_after": after} if after else {}))["hits"]["hits"]
            out.update((h["_source"]["key"], h["_source"].get("value")) for h in hits)
            if len(hits) < size:
                break
            after = hits[-1]["sort"]
        return out

    def _get_state(self, key: str) -> Any | None:
        self._setup()
        try:
            return self.es.get(index=self.layout.alias("state"), id=key)["_source"].get("value")
        except NotFoundError as exc:
            if index_missing(exc):
                raise
            return None

    def _check_fence(self, fence: Fence | None) -> None:
        """Read the lease just before the write (Elasticsearch has no transaction to put both in): a stale
        leader is refused unless it pauses between this read and its write, and it stopped acting a
        quarter of a lease before its lease ran out (monitor/lease.py)."""
        if fence is None:
            return
        self._setup()
        try:
            lease = self.es.get(index=self.layout.alias("state"), id=f"lease:{fence.lease}")["_source"]["value"]
        except NotFoundError:
            lease = None
        if not lease or lease["token"] != fence.token:
            raise FencedOff(f"lease {fence.lease} is held with token {lease and lease['token']}, not {fence.token}")

    def take_lease(self, name: str, holder: str, ttl: timedelta, now: datetime) -> int | None:
        """A document in the state index, changed only if nobody changed it since it was read
        (if_seq_no / if_primary_term): of two daemons racing, Elasticsearch lets one through."""
        self._setup()
        index, doc_id = self.layout.alias("state"), f"lease:{name}"
        at = utc(now).timestamp()
        try:
            found = self.es.get(index=index, id=doc_id)
        except NotFoundError:
            found = None
        lease = found["_source"]["value"] if found else None
        if lease and lease["holder"] != holder and lease["expires"] > at:
            return None
        kept = bool(lease and lease["holder"] == holder and lease["expires"] > at)
        token = (lease["token"] if lease else 0) + (0 if kept else 1)
        document = {"key": doc_id, "value": {"holder": holder, "token": token, "expires": at + ttl.total_seconds()}}
        try:
            if found is None:
                self.es.create(index=index, id=doc_id, document=document, refresh=True, require_alias=True)
            else:
                self.es.index(index=index, id=doc_id, document=document, refresh=True, require_alias=True,
                              if_seq_no=found["_seq_no"], if_primary_term=found["_primary_term"])
        except ConflictError:
            return None
        return token

    def ping(self) -> bool:
        try:
            health = self.es.options(request_timeout=5).cluster.health()
        except Exception:
            return False
        return health.get("status") in ("green", "yellow")

    def close(self) -> None:
        """Leave what this process wrote searchable (a `crawl --once` then a `search` see the same data)."""
        try:
            self._refresh()
        except Exception as exc:
            if not unreachable(exc):
                raise
        finally:
            self.bulk.close()
            self.es.close()


def _outage(store: ElasticStore, exc: Exception) -> bool:
    """Down, busy, an unmigrated mapping or deleted indices: "not now", never the caller's data."""
    if unreachable(exc) and not isinstance(exc, Paused):
        store._went_down(exc)
    if index_missing(exc):
        store._ready = False  # the next call recreates them
        store._fresh.clear()  # and what was written before is gone with them
        store._uncounted.clear()
    return unreachable(exc) or isinstance(exc, MappingOutdated) or index_missing(exc)


raising_unavailable(ElasticStore, _outage, skip=("ensure_setup", "ping", "close", "clear_history"))


def _deltas(counted: dict[str, list[rollup.Key]], before: dict[str, list[rollup.Key]]) -> dict[rollup.Key, int]:
    """What the rollups change by when these mentions replace the versions stored before them."""
    deltas: Counter = Counter()
    for i, keys in counted.items():
        deltas.update(keys)
        deltas.subtract(before.get(i, ()))
    return {k: n for k, n in deltas.items() if n}


def _distinct(query: Query) -> dict[str, Any]:
    """The distinct count a query asks for (stories or authors), under one aggregation name."""
    return STORIES if query.unique else AUTHORS


def _delivery_id(incident_id: str, step: str, channel: str) -> str:
    return f"{incident_id}|{step}|{channel}"


def _dotted(source: dict[str, Any], field: str) -> Any:
    for part in field.split("."):
        source = source.get(part) if isinstance(source, dict) else None
    return source


def _aggregation(result: Any, name: str, empty: dict[str, Any] | None = None) -> dict[str, Any]:
    """An aggregation of a search over no index at all (none written yet, or deleted) is absent: empty.
    `result` is a search's response or one of an _msearch's."""
    body = getattr(result, "body", result)
    return body.get("aggregations", {}).get(name, empty if empty is not None else {"buckets": []})


def _count_request(query: Query) -> dict[str, Any]:
    """The search body that counts a query's mentions, stories or authors (count and counts share it)."""
    if query.unique or query.authors:
        return {"query": es_query(query), "size": 0, "aggs": _distinct(query)}
    return {"query": es_query(query), "size": 0, "track_total_hits": True}


def _top_terms_request(query: Query, limit: int = 10) -> dict[str, Any]:
    """Exact: each monthly index has one shard, and the shard size covers every term of the window."""
    return {"query": es_query(query), "size": 0, "aggs": {"t": {"terms": {
        "field": "keywords", "size": limit, "shard_size": max(limit * 10, 10_000),
        "order": [{"_count": "desc"}, {"_key": "asc"}]}}}}


def _top_terms_from(result: Any) -> list[tuple[str, int]]:
    return [(b["key"], b["doc_count"]) for b in _aggregation(result, "t")["buckets"]]


def _term_counts_request(query: Query, wanted: list[str]) -> dict[str, Any]:
    return {"query": es_query(query), "size": 0,
            "aggs": {"t": {"terms": {"field": "keywords", "include": wanted, "size": len(wanted)}}}}


def _term_counts_from(result: Any, wanted: list[str]) -> dict[str, int]:
    found = {b["key"]: b["doc_count"] for b in _aggregation(result, "t")["buckets"]}
    return {t: found.get(t, 0) for t in wanted}


def _facet_request(query: Query, facet: str, limit: int = 10) -> dict[str, Any]:
    if facet not in FACET_FIELDS:
        raise ValueError(f"unknown facet {facet!r} (known: {', '.join(FACET_FIELDS)})")
    return {"query": es_query(query), "size": 0, "aggs": {"t": {"terms": {
        "field": FACET_FIELDS[facet], "size": limit, "shard_size": max(limit * 10, 10_000),
        "order": [{"_count": "desc"}, {"_key": "asc"}]}}}}


def _authors_request(query: Query, limit: int = 10) -> dict[str, Any]:
    return {"query": es_query(query), "size": 0, "aggs": {"t": {"terms": {
        "field": "author.name", "size": limit, "shard_size": max(limit * 10, 10_000),
        "order": [{"f": "desc"}, {"_count": "desc"}, {"_key": "asc"}]},
        "aggs": {"f": {"max": {"field": "author.followers", "missing": 0}},
                 "known": {"value_count": {"field": "author.followers"}}}}}}


def _authors_from(result: Any) -> list[tuple[str, int, int | None]]:
    return [(b["key"], b["doc_count"], int(b["f"]["value"]) if b["known"]["value"] else None)
            for b in _aggregation(result, "t")["buckets"]]


def _tier_filter(tier: SlaTier) -> dict[str, Any]:
    f: list[dict[str, Any]] = []
    if tier.platforms:
        f.append({"terms": {"platform": list(tier.platforms)}})
    if tier.content_types:
        f.append({"terms": {"content_type": list(tier.content_types)}})
    if tier.min_followers:  # a floor of 0 takes unknown followers too
        f.append({"range": {"author.followers": {"gte": tier.min_followers}}})
    return {"bool": {"filter": f}}


def _sla_request(query: Query, tiers: Sequence[SlaTier], now: datetime) -> dict[str, Any]:
    aggs = {}
    for k, tier in enumerate(tiers):
        aggs[f"tier{k}"] = {
            "filter": {"bool": {"filter": [_tier_filter(tier)], "must_not": [_tier_filter(t) for t in tiers[:k]]}},
            "aggs": {"due": {"filter": {"range": {"@timestamp": {"lte": _millis(now - tier.within),
                                                                 "format": "epoch_millis"}}}}}}
    return {"query": es_query(query), "size": 0, "aggs": aggs}


def _sla_from(result: Any, tiers: int) -> list[tuple[int, int]]:
    out = []
    for k in range(tiers):
        found = _aggregation(result, f"tier{k}", {"doc_count": 0, "due": {"doc_count": 0}})
        out.append((found["doc_count"], found["due"]["doc_count"]))
    return out


def _counted(query: Query | None, result: Any) -> int:
    """What one search of a count plan found: a rollup sum (query None), stories, authors or mentions."""
    if query is None:
        return rollup.summed(result)
    if query.unique or query.authors:
        return int(_aggregation(result, "stories", {"value": 0})["value"])
    return int(result["hits"]["total"]["value"])


def _from_seconds(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, timezone.utc)


def _millis(dt: datetime) -> int:
    return int(utc(dt).timestamp() * 1000)


def es_query(q: Query) -> dict[str, Any]:
    """The Query as an Elasticsearch bool filter (no scoring: the store counts and sorts)."""
    f: list[dict[str, Any]] = []
    if q.brand:
        f.append({"term": {"brands": q.brand}})
    for field, values in (("sentiment_label", q.sentiments), ("source", q.sources), ("platform", q.platforms),
                          ("categories", q.categories)):
        if values:
            f.append({"terms": {field: list(values)}})
    if q.keywords:
        phrases = [p for p in (matching.phrase(k) for k in q.keywords) if p]
        f.append({"bool": {"should": [{"match_phrase": {"words": p}} for p in phrases], "minimum_should_match": 1}}
                 if phrases else {"match_none": {}})
    if q.crisis:  # said of the brand asked about, or of any brand
        f.append({"term": {"crisis_brands": q.brand}} if q.brand else {"exists": {"field": "crisis_terms"}})
    if q.min_followers is not None:
        f.append({"range": {"author.followers": {"gte": q.min_followers}}})
    if q.min_engagement is not None:
        f.append({"range": {"engagement_total": {"gte": q.min_engagement}}})
    if q.text is not None:
        f.append(_text_query(q.text))
    if q.ids:
        f.append({"terms": {"id": list(q.ids)}})
    if q.threads:
        f.append({"terms": {"thread_id": list(q.threads)}})
    if q.written_by:  # case ignored (matching.handle): a term per name, few official accounts per brand
        f.append({"bool": {"should": [{"term": {field: {"value": name, "case_insensitive": True}}}
                                      for name in q.written_by for field in ("author.name", "author.id")],
                           "minimum_should_match": 1}})
    if q.known_time:  # absent in older indices: known
        f.append({"bool": {"must_not": {"term": {"time_unknown": True}}}})
    if q.start or q.end:
        bounds = {}
        if q.start:
            bounds["gte"] = _millis(q.start)
        if q.end:
            bounds["lt"] = _millis(q.end)
        f.append({"range": {"@timestamp": {**bounds, "format": "epoch_millis"}}})
    return {"bool": {"filter": f}}


def _text_query(text: str) -> dict[str, Any]:
    """Every phrase of the search in the text or the title (monitor/store/matching.py)."""
    phrases = matching.search_phrases(text)
    if not phrases:
        return {"match_none": {}}
    return {"bool": {"filter": [
        {"bool": {"should": [{"match_phrase": {"words": p}}, {"match_phrase": {"title_words": p}}],
                  "minimum_should_match": 1}} for p in phrases]}}
