"""What brandmon keeps in Elasticsearch: index names, mappings, the mentions template, and its version.

Mentions live in monthly indices (`<prefix>-mentions-v<version>-YYYY.MM`, chosen by the month the
mention was *published*, so a re-crawl lands on the same document) behind the read alias
`<prefix>-mentions` that the rules, the CLI and Kibana query. Incidents, their timeline, the
notification log and named state each have one index behind their own alias. The mapping version
is in the template's `_meta` and in every index's mapping `_meta`; a newer brandmon never changes a
live mapping by itself, `brandmon es migrate` does (monitor/store/elastic_migrate.py).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from elasticsearch import BadRequestError, Elasticsearch, NotFoundError

from monitor.clock import utc
from monitor.incident import Delivery, Event, Incident
from monitor.mention import Author, Engagement, Mention
from monitor.store import matching

log = logging.getLogger(__name__)

# 2: `words` / `title_words` for keyword and search matching (monitor/store/matching.py)
# 3: mentions.categories (complaint categories)
# 4: mentions.status (where a complaint stands: 处理中, 已完成), for Kibana and term queries
# 5: mentions.crisis_brands (the brands a mention's crisis terms are said of, nlp/attribution.py)
MAPPING_VERSION = 5

KEYWORD = {"type": "keyword"}
DATE = {"type": "date"}
LONG = {"type": "long"}
OPAQUE = {"type": "object", "enabled": False}  # kept in _source, not indexed: free-form JSON
WORDS = {"type": "text", "analyzer": "whitespace", "norms": False}  # matching.joined(): already cut and folded
TEXT_WITH_RAW = {"type": "text", "analyzer": "standard", "fields": {"raw": {"type": "keyword", "ignore_above": 512}}}

MENTION_PROPERTIES: dict[str, Any] = {
    "@timestamp": DATE,
    "published_at": DATE,
    "crawled_at": DATE,
    "id": KEYWORD, "platform": KEYWORD, "source": KEYWORD, "url": KEYWORD, "content_type": KEYWORD,
    "native_id": KEYWORD, "parent_id": KEYWORD, "thread_id": KEYWORD,
    "title": TEXT_WITH_RAW,
    "text": {"type": "text", "analyzer": "standard"},
    "words": WORDS, "title_words": WORDS,
    "author": {"properties": {"id": KEYWORD, "name": KEYWORD, "followers": LONG}},
    "engagement": {"properties": {"likes": LONG, "comments": LONG, "reposts": LONG, "views": LONG}},
    "engagement_total": LONG,
    "ip_location": KEYWORD,
    "brands": KEYWORD,
    "tokens": {"type": "keyword", "normalizer": "lowercase", "ignore_above": 256},  # jieba words, for Kibana
    "keywords": KEYWORD,
    "crisis_terms": KEYWORD,
    "crisis_brands": KEYWORD,
    "categories": KEYWORD,
    "status": KEYWORD,
    "sentiment": {"type": "float"},
    "sentiment_label": KEYWORD,
    "model": KEYWORD,
    "cluster_id": KEYWORD,
    "cluster_size": {"type": "integer"},
    "time_unknown": {"type": "boolean"},  # absent in older indices: read as false
    "story": KEYWORD,  # cluster_id, or the mention's own id: what Query(unique=True) counts
}

FAMILY_PROPERTIES: dict[str, dict[str, Any]] = {
    "incidents": {
        "id": KEYWORD, "fingerprint": KEYWORD, "rule": KEYWORD, "brand": KEYWORD, "severity": KEYWORD,
        "state": KEYWORD, "group": KEYWORD, "title": TEXT_WITH_RAW, "acked_by": KEYWORD, "muted": KEYWORD,
        "keywords": KEYWORD, "opened_at": DATE, "last_seen_at": DATE, "acked_at": DATE, "resolved_at": DATE,
        "window_start": DATE, "window_end": DATE, "escalate_from": DATE,
        "figures": OPAQUE, "playbook": OPAQUE, "examples": OPAQUE,
    },
    "events": {"incident_id": KEYWORD, "at": DATE, "kind": KEYWORD, "detail": {"type": "text"},
               "actor": KEYWORD, "seq": LONG},
    "deliveries": {"incident_id": KEYWORD, "step": KEYWORD, "channel": KEYWORD, "status": KEYWORD, "at": DATE,
                   "attempts": {"type": "integer"}, "error": {"type": "text"}, "seq": LONG},
    "state": {"key": KEYWORD, "value": OPAQUE},
    # hourly counts kept at ingest (monitor/store/elastic_rollup.py)
    "rollups": {"brand": KEYWORD, "hour": DATE, "sentiment": KEYWORD, "source": KEYWORD, "platform": KEYWORD,
                "n": LONG},
}

class MappingOutdated(RuntimeError):
    """The live indices use another mapping version than this brandmon: migrate, never guess."""

    def __init__(self, prefix: str, live: int, wanted: int) -> None:
        self.live, self.wanted = live, wanted
        if live < wanted:
            hint = f"run `brandmon es migrate` to move the data to version {wanted}"
        else:
            hint = "upgrade brandmon: this one is older than the index"
        super().__init__(f"Elasticsearch indices '{prefix}-*' use mapping version {live}, "
                         f"this brandmon needs {wanted}: {hint}")


@dataclass(frozen=True)
class Layout:
    """Index, alias and template names for one prefix at one mapping version."""

    prefix: str
    version: int = MAPPING_VERSION

    @property
    def mentions(self) -> str:
        """The read alias over every month."""
        return f"{self.prefix}-mentions"

    @property
    def template(self) -> str:
        return f"{self.prefix}-mentions"

    @property
    def mentions_pattern(self) -> str:
        return f"{self.prefix}-mentions-v{self.version}-*"

    def month_index(self, published_at: datetime) -> str:
        return f"{self.prefix}-mentions-v{self.version}-{utc(published_at):%Y.%m}"

    def month_end(self, index: str) -> datetime | None:
        """When the month a mentions index holds ends (None for a name not of this layout)."""
        head = f"{self.prefix}-mentions-v{self.version}-"
        try:
            start = datetime.strptime(index.removeprefix(head), "%Y.%m") if index.startswith(head) else None
        except ValueError:
            return None
        if start is None:
            return None
        return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=timezone.utc)

    def holding(self, month_index: str) -> str:
        """Where mend_months keeps a month's documents while it rebuilds the month (outside every pattern
        and alias of the layout)."""
        return month_index.replace(f"{self.prefix}-mentions-", f"{self.prefix}-mending-", 1)

    def month_of_holding(self, holding: str) -> str:
        return holding.replace(f"{self.prefix}-mending-", f"{self.prefix}-mentions-", 1)

    def alias(self, family: str) -> str:
        return f"{self.prefix}-{family}"

    def index(self, family: str) -> str:
        return f"{self.prefix}-{family}-v{self.version}"


def _settings() -> dict[str, Any]:
    """One primary; a replica only where a second node can hold it (a single node stays green). A refresh every
    5 s instead of every second: brandmon's own reads refresh what they wrote first (ElasticStore._refresh), so
    only Kibana waits, at most 5 s, and a loaded node makes fewer tiny segments to merge. The default codec, not
    best_compression: that one keeps a mention in 0.31 kB instead of 0.45 but made the weekly report's reads,
    which fetch thousands of documents, 3-5 times slower (docs/deployment.md, "Elasticsearch at scale")."""
    return {"number_of_shards": 1, "auto_expand_replicas": "0-1", "refresh_interval": "5s",
            "analysis": {"normalizer": {"lowercase": {"type": "custom", "filter": ["lowercase"]}}}}


def index_body(family: str, version: int) -> dict[str, Any]:
    """Settings and mappings of one index family; `dynamic: false` keeps fields added to the records
    later in _source (so they round-trip) without changing the mapping behind our back."""
    properties = MENTION_PROPERTIES if family == "mentions" else FAMILY_PROPERTIES[family]
    return {"settings": _settings(),
            "mappings": {"dynamic": False, "_meta": {"version": version, "managed_by": "brandmon"},
                         "properties": properties}}


def mentions_template(layout: Layout) -> dict[str, Any]:
    body = index_body("mentions", layout.version)
    return {"index_patterns": [layout.mentions_pattern], "priority": 200,
            "_meta": {"version": layout.version, "managed_by": "brandmon"},
            "template": {**body, "aliases": {layout.mentions: {}}}}


def live_version(es: Elasticsearch, prefix: str) -> int | None:
    """The mapping version installed for this prefix (the mentions template's), or None on a fresh cluster."""
    try:
        found = es.indices.get_index_template(name=Layout(prefix).template)
    except NotFoundError:
        return None
    return int(found["index_templates"][0]["index_template"].get("_meta", {}).get("version", 0))


def install(es: Elasticsearch, layout: Layout) -> str:
    """Create what is missing, idempotently; returns 'created', 'completed' or 'ok'.
    Raises MappingOutdated when another version is live."""
    live = live_version(es, layout.prefix)
    if live is not None and live != layout.version:
        raise MappingOutdated(layout.prefix, live, layout.version)
    if live is None:
        es.indices.put_index_template(name=layout.template, **mentions_template(layout))
    made = [family for family in FAMILY_PROPERTIES if _family_index(es, layout, family)]
    if "rollups" in made and live is not None:  # an older brandmon's data, or the rollups deleted: count them
        from monitor.store.elastic_rollup import rebuild

        written = rebuild(es, layout.mentions, layout.alias("rollups"), layout.index("rollups"))
        log.warning("Elasticsearch rollups under '%s' counted from the stored mentions: %d", layout.prefix, written)
    return "created" if live is None else ("completed" if made else "ok")


def _family_index(es: Elasticsearch, layout: Layout, family: str) -> bool:
    """Make `<prefix>-<family>` an alias of this version's index; True when anything had to change.

    A write to the alias while it was missing (its indices deleted under a running daemon) made
    Elasticsearch auto-create a plain index of that name, which then blocks the alias
    (invalid_alias_name_exception): its documents are copied into the real index and it is removed."""
    alias, name = layout.alias(family), layout.index(family)
    if es.indices.exists_alias(name=alias):
        return False
    squatter = es.indices.exists(index=alias)
    created = create_index(es, name, family, layout.version, alias=None if squatter else alias)
    if squatter:
        _copy(es, alias, name)
        es.indices.delete(index=alias)
    if squatter or not created:
        es.indices.update_aliases(actions=[{"add": {"index": name, "alias": alias}}])
    return True


def mend_months(es: Elasticsearch, layout: Layout) -> list[str]:
    """Rebuild monthly mentions indices that brandmon's mapping did not make; their names.

    A bulk write in the seconds between the template's deletion and its repair makes Elasticsearch
    auto-create the month with guessed mappings and outside `<prefix>-mentions`, where no read finds
    its mentions. Its documents go to a holding index (writes to the month wait meanwhile: the write
    block makes the bulk sender retry), the month is created again from the template, and they come
    back without overwriting anything written since. A holding index left by a crash is finished."""
    found = es.indices.get(index=layout.mentions_pattern, features=["mappings"], ignore_unavailable=True,
                           allow_no_indices=True).body
    # only months our mapping did not make: one of ours without the alias may be in the middle of `es migrate`
    wrong = sorted(name for name, body in found.items()
                   if (body.get("mappings") or {}).get("_meta", {}).get("managed_by") != "brandmon")
    for name in wrong:
        es.indices.add_block(index=name, block="write")
        holding = layout.holding(name)
        create_index(es, holding, "mentions", layout.version)
        _copy(es, name, holding)
        es.indices.delete(index=name)
    left = es.indices.get(index=layout.holding(layout.mentions_pattern), features=["aliases"],
                          ignore_unavailable=True, allow_no_indices=True).body
    mended = []
    for holding in sorted(left):
        name = layout.month_of_holding(holding)
        create_index(es, name, "mentions", layout.version, alias=layout.mentions)
        _copy(es, holding, name, op="create")
        es.indices.delete(index=holding)
        mended.append(name)
    return mended


def _copy(es: Elasticsearch, source: str, target: str, op: str = "index") -> None:
    """Every document of `source` into `target` (scroll + bulk: the cluster may lack _reindex); with
    op 'create', one that `target` already holds is left as it is there."""
    from elasticsearch import helpers

    es.indices.refresh(index=source)
    _, errors = helpers.bulk(es, ({"_op_type": op, "_index": target, "_id": hit["_id"], "_source": hit["_source"]}
                                  for hit in helpers.scan(es, index=source, query={"query": {"match_all": {}}})),
                             refresh=True, raise_on_error=False)
    results = [next(iter(e.values())) for e in errors]
    for result in results:  # what our mapping refuses, as a write of it would have been refused: said, not retried
        if result.get("status") == 400:
            log.error("Elasticsearch refused mention %s while %s was copied to %s: %s", result.get("_id"), source,
                      target, result.get("error"))
    failed = [r for r in results if r.get("status") not in (400, 409)]
    if failed:
        raise RuntimeError(f"copying {source} to {target}: {len(failed)} documents not taken, first: {failed[0]}")


def create_index(es: Elasticsearch, name: str, family: str, version: int, alias: str | None = None) -> bool:
    """Create one index of `family` unless it exists; True when created."""
    if es.indices.exists(index=name):
        return False
    body = index_body(family, version)
    try:
        es.indices.create(index=name, settings=body["settings"], mappings=body["mappings"],
                          aliases={alias: {}} if alias else None)
    except BadRequestError as exc:  # another process created it between exists and create
        if exc.error != "resource_already_exists_exception":
            raise
        return False
    return True


# documents ↔ records
def mention_doc(m: Mention) -> dict[str, Any]:
    """The mention as stored, without its empty fields (None, [], nulls in author and engagement): Elasticsearch
    indexes an absent field and a null alike and mention_from gives back the same defaults, so they only cost
    _source bytes and serialisation. Read straight off the record (it is serialised at once, nothing keeps
    the dict): Mention.to_dict's generic walk was a third of the write path's Python time."""
    d = {name: value for name in _MENTION_NAMES if (value := getattr(m, name)) is not None and value != []}
    d["author"] = {k: v for k in _AUTHOR_NAMES if (v := getattr(m.author, k)) is not None}
    e = m.engagement
    d["engagement"] = {k: v for k in _ENGAGEMENT_NAMES if (v := getattr(e, k)) is not None}
    d["published_at"] = d["@timestamp"] = utc(m.published_at).isoformat()
    d["crawled_at"] = utc(m.crawled_at).isoformat()
    d["engagement_total"] = (e.likes or 0) + (e.comments or 0) + (e.reposts or 0)
    d["story"] = m.cluster_id or m.id
    d["words"] = matching.joined(m.text)
    if m.title:
        d["title_words"] = matching.joined(m.title)
    return d


def record_fields(cls) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls))


MENTION_FIELDS, INCIDENT_FIELDS, EVENT_FIELDS, DELIVERY_FIELDS = (
    record_fields(c) for c in (Mention, Incident, Event, Delivery))
_MENTION_NAMES, _AUTHOR_NAMES, _ENGAGEMENT_NAMES = (
    tuple(f.name for f in dataclasses.fields(c)) for c in (Mention, Author, Engagement))


def only(fields: frozenset[str], source: dict[str, Any]) -> dict[str, Any]:
    """A document's _source without the fields brandmon adds for sorting and Kibana."""
    return {k: v for k, v in source.items() if k in fields}


def mention_from(source: dict[str, Any]) -> Mention:
    return Mention.from_dict(only(MENTION_FIELDS, source))
