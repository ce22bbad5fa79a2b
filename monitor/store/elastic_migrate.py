"""`brandmon es migrate`: move every index to this brandmon's mapping version.

Elasticsearch cannot change a field's type in place, and this cluster may lack `_reindex`, so each
index is copied document by document (scroll + bulk) into a new index of the new version; mentions
are rebuilt from their record, so fields derived at indexing time are recomputed. Only when every
copy holds as many documents as its source do the aliases swing over, in one atomic call; then the
template is replaced and the old indices deleted. Until that moment nothing that readers see has
changed, and an interrupted migration can simply be run again. Stop the daemons first: a write
that lands in an old index after it was copied would be lost with it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import Elasticsearch, helpers

from monitor.store.elastic_bulk import Action, BulkSender
from monitor.store.elastic_schema import (FAMILY_PROPERTIES, MAPPING_VERSION, Layout, MappingOutdated, create_index,
                                          install, live_version, mention_doc, mention_from, mentions_template)

BATCH = 1000
Route = Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]  # a source document → (new index, new document)


class MigrationFailed(RuntimeError):
    """The copy is incomplete; the aliases still point at the old indices, which are untouched."""


@dataclass
class Migration:
    prefix: str
    from_version: int | None
    to_version: int
    copied: Counter = field(default_factory=Counter)


def indices_behind(es: Elasticsearch, alias: str) -> dict[str, int]:
    """Index name → mapping version, for every index the alias covers."""
    found = es.indices.get_mapping(index=alias, ignore_unavailable=True, allow_no_indices=True)
    return {name: int(m["mappings"].get("_meta", {}).get("version", 0)) for name, m in found.items()}


def migrate(es: Elasticsearch, prefix: str, say: Callable[[str], None] = lambda line: None) -> Migration:
    target = Layout(prefix)
    live = live_version(es, prefix)
    result = Migration(prefix, live, target.version)
    if live is not None and live > target.version:
        raise MappingOutdated(prefix, live, target.version)
    if live == target.version or live is None:
        install(es, target)
        return result
    say(f"migrating '{prefix}' from mapping version {live} to {target.version}")
    swaps: list[dict[str, Any]] = []
    sources: list[str] = []
    copies: list[tuple[str, str, Route]] = [("mentions", target.mentions, _mention_route(target))]
    copies += [(family, target.alias(family), lambda source, name=target.index(family): (name, source))
               for family in FAMILY_PROPERTIES]
    for family, alias, route in copies:
        old = [name for name, version in indices_behind(es, alias).items() if version != target.version]
        if not old:
            continue
        made: set[str] = set()
        for name in old:
            result.copied[family] += _copy(es, name, family, route, made)
            say(f"  {name}: {result.copied[family]} {family} copied")
        _check_counts(es, old, sorted(made), family)
        swaps += [{"remove": {"index": name, "alias": alias}} for name in old]
        swaps += [{"add": {"index": name, "alias": alias}} for name in sorted(made)]
        sources += old
    if swaps:
        es.indices.update_aliases(actions=swaps)
    es.indices.put_index_template(name=target.template, **mentions_template(target))
    install(es, target)
    if sources:
        es.indices.delete(index=",".join(sources))
    say(f"done: aliases now point at version {target.version}; deleted {len(sources)} old indices")
    return result


def _mention_route(target: Layout) -> Route:
    """Mentions are rebuilt from their record, so fields derived at indexing time follow the new code."""
    def route(source: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        mention = mention_from(source)
        return target.month_index(mention.published_at), mention_doc(mention)
    return route


def _copy(es: Elasticsearch, source: str, family: str, route: Route, made: set[str]) -> int:
    """Copy one index, a thousand documents per bulk request, into new indices without aliases (readers
    keep seeing the old data); returns how many were written."""
    sender = BulkSender(es, max_docs=BATCH)
    batch: list[Action] = []
    written = 0

    def flush() -> int:
        for name in {a.index for a in batch} - made:
            create_index(es, name, family, MAPPING_VERSION)
            made.add(name)
        report = sender.send(batch)
        if report.errors:
            raise MigrationFailed(f"{len(report.errors)} documents of {source} were refused by the new mapping, "
                                  f"e.g. {report.errors[0]}; nothing was switched")
        batch.clear()
        return report.done

    for hit in helpers.scan(es, index=source, query={"query": {"match_all": {}}}, size=BATCH):
        name, doc = route(hit["_source"])
        batch.append(Action("index", name, hit["_id"], doc))
        if len(batch) >= BATCH:
            written += flush()
    if batch:
        written += flush()
    return written


def _check_counts(es: Elasticsearch, old: list[str], new: list[str], family: str) -> None:
    es.indices.refresh(index=",".join(old + new))
    before = es.count(index=",".join(old))["count"]
    after = es.count(index=",".join(new))["count"] if new else 0
    if before != after:
        raise MigrationFailed(f"{family}: {before} documents in {', '.join(old)} but {after} copied; "
                              "nothing was switched, run the migration again")
