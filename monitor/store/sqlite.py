"""The embedded store: one SQLite file in WAL mode, so brandmon runs with no server at all.

Every cost is bounded by the window asked about, not by the history kept:
- `mention_brands` is clustered on (brand, time) and carries the mention's id, sentiment, source,
  platform, author (name and id), followers, story, engagement and whether its crisis terms are said of
  that brand, so a brand's window is one contiguous index
  range that answers counts, reach filters, unique stories, top authors, top stories and the reply
  SLA's fields on its own;
- hourly rollups (`roll_hour`: brand × hour × sentiment × source × platform; `roll_facets`: brand ×
  hour × sentiment × category or region; `roll_terms`: brand × hour × keyword × sentiment),
  maintained in the same transaction as each batch, answer every whole hour of a count, histogram, breakdown or top-words
  query; only the partial hours at a window's edges read raw rows (brand `*` stands for every mention,
  whatever its brands);
- the full-text index is external-content FTS5 keyed by the mention's rowid, so replacing a mention
  touches its own entries instead of scanning the index.
Keywords and search words follow monitor/store/matching.py, like the Elasticsearch store.
Reads use one connection per thread (WAL readers never wait for the writer or for each other), so an
ack is not queued behind a long report query.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson

from monitor.clock import utc
from monitor.config.model import RetentionConfig, SlaTier
from monitor.incident import Delivery, Event, Incident
from monitor.mention import Mention
from monitor.store import matching
from monitor.store.base import FACETS as BASE_FACETS
from monitor.store.base import Fence, FencedOff, Query, Store, UpsertResult, raising_unavailable
from monitor.store.hours import pieces as _pieces

log = logging.getLogger(__name__)

# 3: roll_facets (categories, regions); roll_terms by sentiment; wider mention_brands
# 4: mention_brands.crisis: crisis terms said of that brand (nlp/attribution.py), not only of the mention;
#    mention_brands.author_id: official replies and distinct authors without reading the records
SCHEMA_VERSION = 4
HOUR = 3600
ALL = "*"  # the rollup "brand" that counts every mention once
HOURLY, FACETS = "roll_hour", "roll_facets"
CHUNK = 500  # ids per lookup
CANDIDATES = 10  # rows read per top author wanted, to find the candidates among the most followed
PRUNE_CHUNK = 5000  # mentions deleted per transaction, so writers are never held up for long
MIGRATE_CHUNK = 100_000  # mentions (by rowid) per progress step of a schema migration
SEP = "\t"
ZERO = timedelta(0)
READERS = 4  # idle reading connections kept open
WRITE_CHUNK = 100  # mentions per write transaction

_MENTIONS = """
CREATE TABLE IF NOT EXISTS mentions (
    id TEXT PRIMARY KEY,
    ts REAL NOT NULL,
    platform TEXT NOT NULL,
    source TEXT NOT NULL,
    sentiment TEXT NOT NULL,
    crisis INTEGER NOT NULL,
    engagement INTEGER NOT NULL,
    followers INTEGER,
    story TEXT NOT NULL,
    brands TEXT NOT NULL,
    keywords TEXT NOT NULL,
    words TEXT NOT NULL,
    title_words TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS mentions_by_ts ON mentions(ts);
CREATE TABLE IF NOT EXISTS mention_brands (
    brand TEXT NOT NULL,
    ts REAL NOT NULL,
    mid INTEGER NOT NULL,
    sentiment TEXT NOT NULL,
    source TEXT NOT NULL,
    platform TEXT NOT NULL,
    author TEXT,
    followers INTEGER,
    story TEXT NOT NULL,
    engagement INTEGER NOT NULL,
    id TEXT NOT NULL,
    crisis INTEGER NOT NULL DEFAULT 0,
    author_id TEXT,
    PRIMARY KEY (brand, ts, mid)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS mentions_fts USING fts5(
    words, title_words, content='mentions', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0');
CREATE TABLE IF NOT EXISTS roll_hour (
    brand TEXT NOT NULL,
    hour INTEGER NOT NULL,
    sentiment TEXT NOT NULL,
    source TEXT NOT NULL,
    platform TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (brand, hour, sentiment, source, platform)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS roll_facets (
    brand TEXT NOT NULL,
    hour INTEGER NOT NULL,
    facet TEXT NOT NULL,
    value TEXT NOT NULL,
    sentiment TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (brand, hour, facet, value, sentiment)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS roll_terms (
    brand TEXT NOT NULL,
    hour INTEGER NOT NULL,
    term TEXT NOT NULL,
    sentiment TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (brand, hour, term, sentiment)
) WITHOUT ROWID;
"""

_RECORDS = """
CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_fp ON incidents(fingerprint, state);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_incident ON events(incident_id);
CREATE TABLE IF NOT EXISTS deliveries (
    incident_id TEXT NOT NULL,
    step TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    PRIMARY KEY (incident_id, step, channel)
);
CREATE TABLE IF NOT EXISTS state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    token INTEGER NOT NULL,
    expires REAL NOT NULL
);
"""

# what the write path reads back of a stored mention to take it out of the indices and the rollups
STORED = ("rowid, id, ts, platform, source, sentiment, brands, keywords, words, title_words,"
          " json_extract(data, '$.categories'), json_extract(data, '$.ip_location')")
_COLUMNS = ("ts", "platform", "source", "sentiment", "crisis", "engagement", "followers", "story", "brands",
            "keywords", "words", "title_words", "data")


class _Row:
    """One mention as the tables hold it, and what it adds to the rollups."""

    __slots__ = ("id", "ts", "platform", "source", "sentiment", "crisis", "engagement", "followers", "story",
                 "brands", "keywords", "words", "title_words", "data", "categories", "region", "author",
                 "crisis_brands", "author_id")

    @classmethod
    def of(cls, m: Mention) -> "_Row":
        r = cls()
        e = m.engagement
        r.id, r.ts = m.id, utc(m.published_at).timestamp()
        r.platform, r.source, r.sentiment = m.platform, m.source, m.sentiment_label or ""
        r.crisis, r.engagement = int(bool(m.crisis_terms)), (e.likes or 0) + (e.comments or 0) + (e.reposts or 0)
        r.followers, r.story, r.crisis_brands = m.author.followers, m.cluster_id or m.id, set(m.crisis_brands)
        r.brands, r.keywords = SEP.join(dict.fromkeys(m.brands)), SEP.join(dict.fromkeys(m.keywords))
        r.words, r.title_words = matching.joined(m.text), matching.joined(m.title)
        r.data = _record(m)
        r.categories, r.region, r.author = list(dict.fromkeys(m.categories or ())), m.ip_location, m.author.name
        r.author_id = m.author.id
        return r

    @classmethod
    def stored(cls, values: tuple) -> "_Row":
        """From a row of STORED (the columns, and what the rollups need of the record)."""
        r = cls()
        (r.id, r.ts, r.platform, r.source, r.sentiment, r.brands, r.keywords, r.words, r.title_words,
         categories, r.region) = values
        r.categories = list(dict.fromkeys(json.loads(categories))) if categories else []
        return r

    def values(self) -> tuple:
        return tuple(getattr(self, c) for c in _COLUMNS)

    def brand_list(self) -> list[str]:
        return self.brands.split(SEP) if self.brands else []

    def count_into(self, hours: Counter, facets: Counter, terms: Counter, sign: int) -> None:
        hour = int(self.ts // HOUR)
        keywords = self.keywords.split(SEP) if self.keywords else []
        values = [("category", c) for c in self.categories] + ([("region", self.region)] if self.region else [])
        for brand in [*self.brand_list(), ALL]:
            hours[(brand, hour, self.sentiment, self.source, self.platform)] += sign
            for facet, value in values:
                facets[(brand, hour, facet, value, self.sentiment)] += sign
            if brand != ALL:
                for term in keywords:
                    terms[(brand, hour, term, self.sentiment)] += sign


class SqliteStore(Store):
    def __init__(self, path: Path, retention: RetentionConfig | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.retention = retention or RetentionConfig()
        self._db = self._connect()
        self._lock = threading.RLock()
        self._readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._closed = False
        with self._lock:
            tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if not tables:  # must precede the first write, even WAL's; an old file gets it when migrated
                self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_RECORDS)
            if "mentions_v1" in tables or ("mentions" in tables and version < 2):
                self._migrate(tables)
            elif "mentions" in tables and version < 3:
                self._add_facets()
            elif "mentions" in tables and version < SCHEMA_VERSION:
                self._add_brand_crisis()
            else:
                self._db.executescript(_MENTIONS)
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
        db.execute("PRAGMA cache_size=-65536")  # 64 MB: the hot (brand, time) ranges stay in memory
        return db

    def _rows(self, sql: str, args: Iterable[Any] = ()) -> list[tuple]:
        """Run a read on a pooled connection of its own (WAL: readers never wait for the writer)."""
        try:
            db = self._readers.get_nowait()
        except queue.Empty:
            db = self._connect()
        try:
            return db.execute(sql, list(args)).fetchall()
        finally:
            if self._closed or self._readers.qsize() >= READERS:
                db.close()
            else:
                self._readers.put(db)

    # migration
    def _migrate(self, tables: set[str]) -> None:
        """Version 1 (one FTS table scanned per write, no rollups) → 2: rebuild the mention tables from
        the stored records, in chunks, resumable (upserts are idempotent; the old table goes last)."""
        db = self._db
        if "mentions_v1" not in tables:  # first pass; a resumed one keeps what the new tables already hold
            db.execute("DROP INDEX IF EXISTS mentions_ts")
            db.execute("ALTER TABLE mentions RENAME TO mentions_v1")
            db.execute("DROP TABLE IF EXISTS mention_brands")
            db.execute("DROP TABLE IF EXISTS mentions_fts")
        db.executescript(_MENTIONS)
        total = db.execute("SELECT count(*) FROM mentions_v1").fetchone()[0]
        log.warning("migrating the embedded store %s to schema %d: %d mentions", self.path, SCHEMA_VERSION, total)
        done, last = 0, 0
        while True:
            rows = db.execute("SELECT rowid, data FROM mentions_v1 WHERE rowid > ? ORDER BY rowid LIMIT 5000",
                              (last,)).fetchall()
            if not rows:
                break
            self._write([Mention.from_dict(json.loads(data)) for _, data in rows])
            last, done = rows[-1][0], done + len(rows)
            log.info("migrated %d/%d mentions", done, total)
        db.execute("DROP TABLE mentions_v1")
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        db.execute("PRAGMA auto_vacuum=INCREMENTAL")
        db.execute("VACUUM")  # applies auto_vacuum to an old file and returns the old tables' pages
        log.warning("migrated the embedded store to schema %d", SCHEMA_VERSION)

    def _add_facets(self) -> None:
        """Version 2 → 3: the brand table gains author, followers, story and engagement, keyword rollups
        gain the sentiment, and the category and region rollups are counted from the stored records.
        One transaction (a crash leaves schema 2, migrated again at the next open), walked in rowid ranges
        of MIGRATE_CHUNK mentions so the log shows progress (3 min for 1M mentions on a busy 2-core machine)."""
        db = self._db
        total, first, last = db.execute("SELECT count(*), min(rowid), max(rowid) FROM mentions").fetchone()
        log.warning("migrating the embedded store %s to schema %d (brand table, category and region rollups):"
                    " %d mentions", self.path, SCHEMA_VERSION, total)
        hour = f"CAST(m.ts / {HOUR} AS INTEGER)"
        rows = " WHERE m.rowid >= ? AND m.rowid < ?"
        region = "json_extract(m.data, '$.ip_location')"
        # the brand table's brands are the record's (without repeats); roll_facets also counts each mention under ALL
        each_brand, every = "FROM mentions m, json_each(m.data, '$.brands') b", "FROM mentions m"
        categories, keywords = ", json_each(m.data, '$.categories') j", ", json_each(m.data, '$.keywords') j"
        facets = [f"SELECT DISTINCT m.rowid, {brand} AS brand, {hour} AS h, 'category' AS facet, j.value AS value,"
                  f" m.sentiment AS sentiment {source}{categories}{rows}"
                  for brand, source in (("b.value", each_brand), (f"'{ALL}'", every))]
        facets += [f"SELECT DISTINCT m.rowid, {brand} AS brand, {hour} AS h, 'region' AS facet, {region} AS value,"
                   f" m.sentiment AS sentiment {source}{rows} AND coalesce({region}, '') != ''"
                   for brand, source in (("b.value", each_brand), (f"'{ALL}'", every))]
        started = time.monotonic()
        with db:
            db.execute("BEGIN")
            db.execute("ALTER TABLE mention_brands RENAME TO mention_brands_v2")  # its rows are the records' brands
            db.execute("DROP TABLE roll_terms")  # counted again, by sentiment
            for statement in _MENTIONS.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute("DROP TABLE mention_brands_v2")
            done = 0
            for lo in range(first or 0, (last or -1) + 1, MIGRATE_CHUNK):
                hi = lo + MIGRATE_CHUNK
                db.execute(
                    "INSERT INTO mention_brands SELECT DISTINCT b.value, m.ts, m.rowid, m.sentiment, m.source, m.platform,"
                    " json_extract(m.data, '$.author.name'), m.followers, m.story, m.engagement, m.id, m.crisis,"
                    " json_extract(m.data, '$.author.id')"
                    f" {each_brand}{rows}", (lo, hi))
                db.execute(
                    "INSERT INTO roll_terms SELECT brand, h, term, sentiment, count(*) FROM ("
                    f"SELECT DISTINCT m.rowid, b.value AS brand, {hour} AS h, j.value AS term, m.sentiment AS sentiment"
                    f" {each_brand}{keywords}{rows})"
                    " GROUP BY brand, h, term, sentiment ON CONFLICT DO UPDATE SET n = n + excluded.n", (lo, hi))
                for select in facets:
                    db.execute(f"INSERT INTO roll_facets SELECT brand, h, facet, value, sentiment, count(*) FROM ({select})"
                               " GROUP BY 1, 2, 3, 4, 5 ON CONFLICT DO UPDATE SET n = n + excluded.n", (lo, hi))
                done += db.execute("SELECT count(*) FROM mentions WHERE rowid >= ? AND rowid < ?", (lo, hi)).fetchone()[0]
                log.warning("migrating to schema %d: %d/%d mentions (%.0f%%, %.0f s)", SCHEMA_VERSION, done, total,
                            100 * done / max(total, 1), time.monotonic() - started)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        log.warning("migrated the embedded store to schema %d in %.0f s", SCHEMA_VERSION, time.monotonic() - started)

    def _add_brand_crisis(self) -> None:
        """Version 3 → 4: the brand table says whose crisis it is, and holds the author's id. Mentions stored
        before were attributed to no brand in particular, so each of their brands keeps the mention's flag
        (as Mention.from_dict). One transaction: a crash leaves schema 3, migrated again at the next open."""
        db = self._db
        total = db.execute("SELECT count(*) FROM mentions").fetchone()[0]
        log.warning("migrating the embedded store %s to schema %d (crisis terms by brand, author ids): %d mentions",
                    self.path, SCHEMA_VERSION, total)
        started = time.monotonic()
        with db:
            db.execute("BEGIN")
            db.execute("ALTER TABLE mention_brands ADD COLUMN crisis INTEGER NOT NULL DEFAULT 0")
            db.execute("ALTER TABLE mention_brands ADD COLUMN author_id TEXT")
            db.execute("UPDATE mention_brands SET (crisis, author_id) = (SELECT m.crisis, json_extract(m.data, '$.author.id')"
                       " FROM mentions m WHERE m.rowid = mention_brands.mid)")
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        log.warning("migrated the embedded store to schema %d in %.0f s", SCHEMA_VERSION, time.monotonic() - started)

    # mentions
    def upsert(self, mentions: list[Mention]) -> UpsertResult:
        """Records are built before the write lock is taken, and written WRITE_CHUNK at a time: an ack or
        an escalation waiting to write waits for one small transaction, not for a whole crawl batch."""
        rows = _latest(mentions)
        new = 0
        for start in range(0, len(rows), WRITE_CHUNK):
            with self._lock:
                new += self._write_rows(rows[start:start + WRITE_CHUNK])
            time.sleep(0)  # let a waiting writer take the lock
        return UpsertResult(new=new, updated=len(mentions) - new)

    def _write(self, mentions: list[Mention]) -> None:
        self._write_rows(_latest(mentions))

    def _write_rows(self, rows: list[_Row]) -> int:
        """One transaction; how many of the rows were new."""
        hours: Counter = Counter()
        facets: Counter = Counter()
        terms: Counter = Counter()
        db = self._db
        with db:
            db.execute("BEGIN")
            old = self._stored_rows([r.id for r in rows])
            for rowid, row in old.values():
                self._unindex(rowid, row)
                row.count_into(hours, facets, terms, -1)
            brand_rows, fts_rows = [], []
            for row in rows:
                if row.id in old:
                    rowid = old[row.id][0]
                    db.execute(f"UPDATE mentions SET {','.join(c + '=?' for c in _COLUMNS)} WHERE rowid=?",
                               (*row.values(), rowid))
                else:
                    rowid = db.execute(f"INSERT INTO mentions(id,{','.join(_COLUMNS)}) VALUES (?{',?' * len(_COLUMNS)})",
                                       (row.id, *row.values())).lastrowid
                brand_rows += [(b, row.ts, rowid, row.sentiment, row.source, row.platform, row.author, row.followers,
                                row.story, row.engagement, row.id, int(b in row.crisis_brands), row.author_id)
                               for b in row.brand_list()]
                fts_rows.append((rowid, row.words, row.title_words))
                row.count_into(hours, facets, terms, 1)
            db.executemany("INSERT INTO mention_brands VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", brand_rows)
            db.executemany("INSERT INTO mentions_fts(rowid, words, title_words) VALUES (?,?,?)", fts_rows)
            self._roll(hours, facets, terms)
        return len(rows) - len(old)

    def _stored_rows(self, ids: list[str]) -> dict[str, tuple[int, _Row]]:
        found = {}
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            for r in self._db.execute(
                    f"SELECT {STORED} FROM mentions WHERE id IN ({','.join('?' * len(chunk))})", chunk):
                found[r[1]] = (r[0], _Row.stored(r[1:]))
        return found

    def _unindex(self, rowid: int, row: _Row) -> None:
        """Take a stored mention out of the brand table and the full-text index (not the rollups)."""
        self._db.executemany("DELETE FROM mention_brands WHERE brand=? AND ts=? AND mid=?",
                             [(b, row.ts, rowid) for b in row.brand_list()])
        self._db.execute("INSERT INTO mentions_fts(mentions_fts, rowid, words, title_words) VALUES ('delete',?,?,?)",
                         (rowid, row.words, row.title_words))

    def _roll(self, hours: Counter, facets: Counter, terms: Counter) -> None:
        self._db.executemany(
            "INSERT INTO roll_hour VALUES (?,?,?,?,?,?) ON CONFLICT DO UPDATE SET n = n + excluded.n",
            [(*k, n) for k, n in hours.items() if n])
        self._db.executemany(
            "INSERT INTO roll_facets VALUES (?,?,?,?,?,?) ON CONFLICT DO UPDATE SET n = n + excluded.n",
            [(*k, n) for k, n in facets.items() if n])
        self._db.executemany(
            "INSERT INTO roll_terms VALUES (?,?,?,?,?) ON CONFLICT DO UPDATE SET n = n + excluded.n",
            [(*k, n) for k, n in terms.items() if n])
        self._db.executemany("DELETE FROM roll_hour WHERE brand=? AND hour=? AND sentiment=? AND source=?"
                             " AND platform=? AND n <= 0", [k for k, n in hours.items() if n < 0])
        self._db.executemany("DELETE FROM roll_facets WHERE brand=? AND hour=? AND facet=? AND value=?"
                             " AND sentiment=? AND n <= 0", [k for k, n in facets.items() if n < 0])
        self._db.executemany("DELETE FROM roll_terms WHERE brand=? AND hour=? AND term=? AND sentiment=? AND n <= 0",
                             [k for k, n in terms.items() if n < 0])

    # reading
    def count(self, query: Query) -> int:
        if _rollup_of(query) is None:
            sql, args = self._raw(query, _counted(query))
            return self._rows(sql, args)[0][0]
        total = 0
        for lo, hi, whole in _pieces(query):
            if whole:
                sql, args = _rollup(query, lo, hi, "sum(n)")
            else:
                sql, args = self._raw(query, "count(*)", lo, hi)
            total += self._rows(sql, args)[0][0] or 0
        return total

    def histogram(self, query: Query, bucket: timedelta) -> list[tuple[datetime, int]]:
        if query.start is None or query.end is None:
            raise ValueError("a histogram needs a start and an end")
        size = bucket.total_seconds()
        counts: Counter[int] = Counter()
        if _rollup_of(query) is not None and size % HOUR == 0:
            for lo, hi, whole in _pieces(query):
                if whole:
                    sql, args = _rollup(query, lo, hi, f"CAST(hour * {HOUR} / ? AS INTEGER) AS k, sum(n)", "k")
                else:
                    sql, args = self._raw(query, "CAST({t} / ? AS INTEGER) AS k, count(*)", lo, hi, "k")
                counts.update(dict(self._rows(sql, [size, *args])))
        else:
            sql, args = self._raw(query, "CAST({t} / ? AS INTEGER) AS k, " + _counted(query), group="k")
            counts.update(dict(self._rows(sql, [size, *args])))
        first = int(utc(query.start).timestamp() // size)
        last = int((utc(query.end).timestamp() - 1e-6) // size)
        return [(datetime.fromtimestamp(k * size, timezone.utc), counts.get(k, 0)) for k in range(first, last + 1)]

    def find(self, query: Query, limit: int = 20, order: str = "recent") -> list[Mention]:
        # ties by row (the brand table's key, the time index's tail): a newest-first read stops after `limit`
        by = "{engagement} DESC, {t} DESC, {r} DESC" if order == "engagement" else "{t} DESC, {r} DESC"
        sql, args = self._raw(query, "m.data", order=by)
        rows = self._rows(f"{sql} LIMIT ?", [*args, limit])
        return [Mention.from_dict(json.loads(r[0])) for r in rows]

    def find_page(self, query: Query, size: int, after: Any = None,
                  fields: tuple[str, ...] | None = None) -> tuple[list, Any]:
        """The cursor is the last row's (time, id): the walk resumes inside the (brand, time) index."""
        where = None
        if after is not None:
            ts, last = after
            where = ("{t} >= ? AND ({t} > ? OR {id} > ?)", [ts, ts, last])
        select, paths = _projection(fields) if fields else ("m.data", [])
        sql, args = self._raw(query, f"{select}, {{t}}, {{id}}", order="{t}, {id}", where=where)
        rows = self._rows(f"{sql} LIMIT ?", [*paths, *args, size])
        cursor = tuple(rows[-1][-2:]) if rows and len(rows) == size else None
        if fields:
            return _as_fields(fields, [r[:-2] for r in rows]), cursor
        return [Mention.from_dict(json.loads(r[0])) for r in rows], cursor

    def find_fields(self, query: Query, fields: tuple[str, ...], limit: int = 20) -> list[tuple]:
        """Columns where the tables have them, the rest read from the record inside SQLite: no record is
        decoded in Python."""
        select, paths = _projection(fields)
        sql, args = self._raw(query, select, order="{t} DESC, {r} DESC")
        return _as_fields(fields, self._rows(f"{sql} LIMIT ?", [*paths, *args, limit]))

    def top_terms(self, query: Query, limit: int = 10) -> list[tuple[str, int]]:
        """Exact counts of mentions per keyword, most first (ties by word, as Elasticsearch orders them)."""
        counts = self._terms(query, None)
        return sorted(counts.items(), key=lambda p: (-p[1], p[0]))[:limit]

    def term_counts(self, query: Query, terms: Iterable[str]) -> dict[str, int]:
        wanted = list(dict.fromkeys(terms))
        counts = self._terms(query, set(wanted))
        return {t: counts.get(t, 0) for t in wanted}

    def facet_counts(self, query: Query, facet: str, limit: int = 10) -> list[tuple[str, int]]:
        """Platforms and sources from roll_hour, categories and regions from roll_facets; raw rows for the
        partial hours at the edges, and for what the rollups do not filter on."""
        if facet not in BASE_FACETS:
            raise ValueError(f"unknown facet {facet!r} (known: {', '.join(BASE_FACETS)})")
        counts: Counter[str] = Counter()
        table = HOURLY if facet in ("platform", "source") else FACETS
        rollable = _rollup_of(query) == HOURLY and (table == HOURLY or not (query.sources or query.platforms))
        for lo, hi, whole in _pieces(query) if rollable else [(None, None, False)]:
            if whole:
                column = facet if table == HOURLY else "value"
                sql, args = _rollup(query, lo, hi, f"{column}, sum(n)", column, table, facet)
            elif facet == "category":
                sql, args = self._raw(query, "j.value, count(DISTINCT m.rowid)", lo, hi, "j.value",
                                      join="json_each(m.data, '$.categories') j")
            else:
                value = {"platform": "m.platform", "source": "m.source",
                         "region": "json_extract(m.data, '$.ip_location')"}[facet]
                sql, args = self._raw(query, f"{value} AS v, count(*)", lo, hi, "v")
            counts.update({v: n for v, n in self._rows(sql, args) if v})
        return sorted(((v, n) for v, n in counts.items() if n > 0), key=lambda p: (-p[1], p[0]))[:limit]

    def sla_counts(self, query: Query, tiers: Sequence[SlaTier], now: datetime) -> list[tuple[int, int]]:
        """One pass over the window's rows (the brand table's own columns, unless a tier asks for content
        types), each filed under its first tier."""
        if not tiers:
            return []
        cases, args = [], []
        for k, tier in enumerate(tiers):
            test = []
            if tier.platforms:
                test.append(f"{{platform}} IN ({','.join('?' * len(tier.platforms))})")
                args.extend(tier.platforms)
            if tier.content_types:
                test.append(f"coalesce(json_extract(m.data, '$.content_type'), 'post') IN "
                            f"({','.join('?' * len(tier.content_types))})")
                args.extend(tier.content_types)
            if tier.min_followers is not None:
                test.append("coalesce({followers}, 0) >= ?")
                args.append(tier.min_followers)
            cases.append(f"WHEN {' AND '.join(test) or '1'} THEN {k}")
        sql, where = self._raw(query, f"CASE {' '.join(cases)} END AS k, {{t}} AS at")
        due = " ".join(f"WHEN {k} THEN ?" for k in range(len(tiers)))
        cutoffs = [utc(now - tier.within).timestamp() for tier in tiers]
        rows = self._rows(f"SELECT k, count(*), coalesce(sum(at <= CASE k {due} END), 0) FROM ({sql})"
                          " WHERE k IS NOT NULL GROUP BY k", [*cutoffs, *args, *where])
        found = {k: (n, late) for k, n, late in rows}
        return [found.get(k, (0, 0)) for k in range(len(tiers))]

    def top_authors(self, query: Query, limit: int = 10) -> list[tuple[str, int, int | None]]:
        """The window's rows with the most followers name the candidates (every author with at least the
        followers of the limit-th); only the candidates' mentions are then counted. Grouping every author of
        a big brand's week was a third of a weekly report's reading."""
        named = ("{author} IS NOT NULL AND {author} != ''", [])
        sql, args = self._raw(query, "{author} AS a, coalesce({followers}, 0) AS f", where=named, order="f DESC")
        authors: dict[str, int] = {}
        for a, f in self._rows(f"{sql} LIMIT ?", [*args, limit * CANDIDATES]):
            authors.setdefault(a, f)
            if len(authors) == limit:
                break
        if len(authors) == limit and authors[a] > 0:  # else few authors, or few with followers: count them all
            sql, args = self._raw(query, "DISTINCT {author}", where=(f"coalesce({{followers}}, 0) >= ? AND {named[0]}",
                                                                      [authors[a]]))
            candidates = [c for (c,) in self._rows(sql, args)]
            if len(candidates) <= CHUNK:
                named = (f"{{author}} IN ({','.join('?' * len(candidates))})", candidates)
        sql, args = self._raw(query, "{author} AS a, count(*) AS n, max({followers}) AS f", group="a", where=named)
        rows = self._rows(f"{sql} ORDER BY coalesce(f, 0) DESC, n DESC, a LIMIT ?", [*args, limit])
        return [(a, n, f) for a, n, f in rows]

    def top_stories(self, query: Query, limit: int = 5) -> list[tuple[Mention, int]]:
        """Stories sized in one pass; then, for those few, their most engaged mention."""
        sql, args = self._raw(query, "{story} AS s, count(*) AS n, max({engagement}) AS e", group="s")
        stories = self._rows(f"{sql} ORDER BY n DESC, e DESC, s LIMIT ?", [*args, limit])
        if not stories:
            return []
        names = [s for s, _, _ in stories]
        sql, args = self._raw(query, "{story} AS s, {r} AS r, row_number() OVER (PARTITION BY {story} ORDER BY"
                                     " {engagement} DESC, {t} DESC, {r} DESC) AS k",
                              where=(f"{{story}} IN ({','.join('?' * len(names))})", names))
        best = dict(self._rows(f"SELECT s, (SELECT data FROM mentions WHERE rowid = r) FROM ({sql}) WHERE k = 1",
                               args))
        return [(Mention.from_dict(json.loads(best[story])), n) for story, n, _ in stories]

    def _terms(self, query: Query, only: set[str] | None) -> Counter[str]:
        counts: Counter[str] = Counter()
        if query.brand and _rollup_of(query) == HOURLY and not (query.sources or query.platforms):
            pieces = _pieces(query)
        else:
            pieces = [(query.start and utc(query.start).timestamp(), query.end and utc(query.end).timestamp(), False)]
        for lo, hi, whole in pieces:
            if whole:
                clauses, args = _hours(lo, hi)
                sql = f"SELECT term, sum(n) FROM roll_terms WHERE {' AND '.join(['brand = ?', *clauses])}"
                args = [query.brand, *args]
                if only is not None:
                    sql += f" AND term IN ({','.join('?' * len(only))})"
                    args += sorted(only)
                if query.sentiments:
                    sql += f" AND sentiment IN ({','.join('?' * len(query.sentiments))})"
                    args += list(query.sentiments)
                counts.update(dict(self._rows(sql + " GROUP BY term", args)))
                continue
            sql, args = self._raw(query, "m.keywords", lo, hi)
            for (keywords,) in self._rows(sql, args):
                if keywords:
                    counts.update(t for t in keywords.split(SEP) if only is None or t in only)
        return counts

    def _raw(self, q: Query, select: str, lo: float | None = None, hi: float | None = None,
             group: str | None = None, order: str | None = None, join: str | None = None,
             where: tuple[str, list[Any]] | None = None) -> tuple[str, list[Any]]:
        """SQL over stored mentions: a brand's window walks its own (brand, time) range; what only the
        brand table knows never touches the mentions table. `{t}` and `{r}` in select and order stand
        for the time and row columns walked, `{story}`, `{author}`… for the brand table's columns when it
        is walked (else the mentions'); `join` and `where` add a table and a condition."""
        if lo is None and q.start:
            lo = utc(q.start).timestamp()
        if hi is None and q.end:
            hi = utc(q.end).timestamp()
        clauses, args = [], []
        if q.brand:
            columns = {c: f"b.{c}" for c in BRAND_COLUMNS}
            t = "b.ts"
            clauses.append("b.brand = ?")
            args.append(q.brand)
        else:
            columns = {c: f"m.{c}" for c in BRAND_COLUMNS}
            columns["author"], t = "json_extract(m.data, '$.author.name')", "m.ts"
            columns["author_id"] = "json_extract(m.data, '$.author.id')"
        select, order = _columns(select, columns), order and _columns(order, columns)
        needs_mentions = not _brand_table_answers(q) or "m." in select or (order and "m." in order)
        if q.brand:
            src = "mention_brands b JOIN mentions m ON m.rowid = b.mid" if needs_mentions else "mention_brands b"
        else:
            src = "mentions m"
        if lo is not None:
            clauses.append(f"{t} >= ?")
            args.append(lo)
        if hi is not None:
            clauses.append(f"{t} < ?")
            args.append(hi)
        for column, values in ((columns["sentiment"], q.sentiments), (columns["source"], q.sources),
                               (columns["platform"], q.platforms)):
            if values:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                args.extend(values)
        phrases = [p for p in (matching.phrase(k) for k in q.keywords)]
        if q.keywords:
            clauses.append("(" + " OR ".join(["instr(' ' || m.words || ' ', ?) > 0"] * len(phrases)) + ")")
            args.extend(f" {p} " if p else "\0" for p in phrases)
        if q.crisis:  # said of the brand asked about, or of any brand
            clauses.append(f"{columns['crisis']} = 1")
        if q.categories:  # few mentions carry any: read from the record, not a column of every row
            clauses.append("EXISTS (SELECT 1 FROM json_each(m.data, '$.categories') WHERE value IN "
                           f"({','.join('?' * len(q.categories))}))")
            args.extend(q.categories)
        if q.min_followers is not None:
            clauses.append(f"{columns['followers']} >= ?")
            args.append(q.min_followers)
        if q.min_engagement is not None:
            clauses.append(f"{columns['engagement']} >= ?")
            args.append(q.min_engagement)
        if q.known_time:  # rare flag: read from the record (absent in old rows: known)
            clauses.append("json_extract(m.data, '$.time_unknown') IS NOT 1")
        if q.ids:
            clauses.append(f"{columns['id']} IN ({','.join('?' * len(q.ids))})")
            args.extend(q.ids)
        if q.threads:
            clauses.append(f"json_extract(m.data, '$.thread_id') IN ({','.join('?' * len(q.threads))})")
            args.extend(q.threads)
        if q.written_by:
            marks = ','.join('?' * len(q.written_by))
            # SQLite's own lower() folds ASCII letters only, as matching.handle does, at C speed
            clauses.append(f"(lower({columns['author']}) IN ({marks}) OR lower({columns['author_id']}) IN ({marks}))")
            names = [matching.handle(n) for n in q.written_by]
            args.extend([*names, *names])
        if q.text is not None:
            clauses.append("m.rowid IN (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ?)")
            args.append(_fts_query(q.text))
        if where:
            clauses.append(_columns(where[0], columns).replace("{t}", t))
            args.extend(where[1])
        row = "b.mid" if q.brand else "m.rowid"
        sql = f"SELECT {select.replace('{t}', t).replace('{r}', row)} FROM {src}" + (f", {join}" if join else "")
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        if group:
            sql += f" GROUP BY {group}"
        if order:
            sql += f" ORDER BY {order.replace('{t}', t).replace('{r}', row)}"
        return sql, args

    # retention
    def prune(self, now: datetime) -> dict[str, int]:
        """Delete mentions published before the retention and rollups older than theirs, in small
        transactions, then give the freed pages back to the file system."""
        gone = {"mentions": 0, "rollups": 0}
        keep = self.retention
        if keep.mentions is not None:
            cutoff = utc(now - keep.mentions).timestamp()
            while True:
                with self._lock, self._db:
                    self._db.execute("BEGIN")
                    rows = self._db.execute(
                        f"SELECT {STORED} FROM mentions WHERE ts < ? ORDER BY ts LIMIT ?", (cutoff, PRUNE_CHUNK)).fetchall()
                    for r in rows:
                        self._unindex(r[0], _Row.stored(r[1:]))
                    self._db.executemany("DELETE FROM mentions WHERE rowid=?", [(r[0],) for r in rows])
                gone["mentions"] += len(rows)
                if len(rows) < PRUNE_CHUNK:
                    break
        if keep.rollups is not None:
            hour = int(utc(now - keep.rollups).timestamp() // HOUR)
            with self._lock, self._db:
                gone["rollups"] += self._db.execute("DELETE FROM roll_hour WHERE hour < ?", (hour,)).rowcount
                gone["rollups"] += self._db.execute("DELETE FROM roll_terms WHERE hour < ?", (hour,)).rowcount
                gone["rollups"] += self._db.execute("DELETE FROM roll_facets WHERE hour < ?", (hour,)).rowcount
        if any(gone.values()):
            with self._lock:
                # executescript steps the pragma to the end; execute() would free a single page
                self._db.executescript("PRAGMA incremental_vacuum;")
        return gone

    def file_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))

    # incidents
    def save_incident(self, incident: Incident, fence: Fence | None = None) -> None:
        with self._lock, self._fenced(fence):
            self._db.execute(
                "INSERT INTO incidents(id, fingerprint, state, opened_at, data) VALUES (?,?,?,?,?)"
                " ON CONFLICT(id) DO UPDATE SET state=excluded.state, data=excluded.data",
                (incident.id, incident.fingerprint, incident.state, utc(incident.opened_at).isoformat(),
                 json.dumps(incident.to_dict(), ensure_ascii=False)))

    def get_incident(self, incident_id: str) -> Incident | None:
        rows = self._rows("SELECT data FROM incidents WHERE id=?", (incident_id,))
        return Incident.from_dict(json.loads(rows[0][0])) if rows else None

    def incidents(self, states: tuple[str, ...] = (), limit: int = 100) -> list[Incident]:
        where = f" WHERE state IN ({','.join('?' * len(states))})" if states else ""
        rows = self._rows(f"SELECT data FROM incidents{where} ORDER BY opened_at DESC LIMIT ?", [*states, limit])
        return [Incident.from_dict(json.loads(r[0])) for r in rows]

    def add_event(self, event: Event) -> None:
        with self._lock:
            self._db.execute("INSERT INTO events(incident_id, data) VALUES (?,?)",
                             (event.incident_id, json.dumps(event.to_dict(), ensure_ascii=False)))

    def events(self, incident_id: str) -> list[Event]:
        rows = self._rows("SELECT data FROM events WHERE incident_id=? ORDER BY seq", (incident_id,))
        return [Event.from_dict(json.loads(r[0])) for r in rows]

    def claim_delivery(self, incident_id: str, step: str, channel: str, at: datetime, fence: Fence | None = None) -> bool:
        with self._lock, self._fenced(fence):
            cur = self._db.execute(
                "INSERT OR IGNORE INTO deliveries(incident_id, step, channel, status, at) VALUES (?,?,?,?,?)",
                (incident_id, step, channel, "pending", utc(at).isoformat()))
            return cur.rowcount == 1

    def finish_delivery(self, incident_id: str, step: str, channel: str, status: str,
                        at: datetime, attempts: int, error: str | None = None) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE deliveries SET status=?, at=?, attempts=?, error=? WHERE incident_id=? AND step=? AND channel=?",
                (status, utc(at).isoformat(), attempts, error, incident_id, step, channel))

    def deliveries(self, incident_id: str | None = None) -> list[Delivery]:
        where, args = (" WHERE incident_id=?", [incident_id]) if incident_id else ("", [])
        rows = self._rows(f"SELECT incident_id, step, channel, status, at, attempts, error FROM deliveries{where}"
                          " ORDER BY at, rowid", args)
        return [Delivery(r[0], r[1], r[2], r[3], datetime.fromisoformat(r[4]), r[5], r[6]) for r in rows]

    # named state
    def get_state(self, key: str) -> Any | None:
        rows = self._rows("SELECT value FROM state WHERE key=?", (key,))
        return json.loads(rows[0][0]) if rows else None

    def states(self, prefix: str, limit: int = 1000) -> dict[str, Any]:
        rows = self._rows("SELECT key, value FROM state WHERE substr(key, 1, ?) = ? ORDER BY key LIMIT ?",
                          (len(prefix), prefix, limit))
        return {key: json.loads(value) for key, value in rows}

    def get_states(self, keys: list[str]) -> dict[str, Any]:
        """On reading connections: a report looking up a big brand's week of reply marks holds up no write."""
        out = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            rows = self._rows(f"SELECT key, value FROM state WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            out.update((k, json.loads(v)) for k, v in rows)
        return out

    def put_state(self, key: str, value: Any) -> None:
        with self._lock:
            self._db.execute("INSERT INTO state(key, value) VALUES (?,?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                             (key, json.dumps(value, ensure_ascii=False)))

    @contextlib.contextmanager
    def _fenced(self, fence: Fence | None):
        """The write and the lease check in one transaction: no other daemon takes the lease in between."""
        if fence is None:
            yield
            return
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute("SELECT token FROM leases WHERE name=?", (fence.lease,)).fetchone()
            if row is None or row[0] != fence.token:
                raise FencedOff(f"lease {fence.lease} is held with token {row[0] if row else None}, not {fence.token}")
            yield

    def take_lease(self, name: str, holder: str, ttl: timedelta, now: datetime) -> int | None:
        at = utc(now).timestamp()
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")  # other processes on this file wait: one decides at a time
            row = self._db.execute("SELECT holder, token, expires FROM leases WHERE name=?", (name,)).fetchone()
            if row and row[0] != holder and row[2] > at:
                return None
            token = (row[1] if row else 0) + (0 if row and row[0] == holder and row[2] > at else 1)
            self._db.execute("INSERT INTO leases VALUES (?,?,?,?) ON CONFLICT(name) DO UPDATE SET"
                             " holder=excluded.holder, token=excluded.token, expires=excluded.expires",
                             (name, holder, token, at + ttl.total_seconds()))
            return token

    def ping(self) -> bool:
        """Reads a row of every table, so a damaged schema or first pages fail here, not only in the rules."""
        for table in ("mentions", "mention_brands", "roll_hour", "roll_facets", "incidents", "events", "deliveries", "state"):
            self._rows(f"SELECT * FROM {table} LIMIT 1")
        return True

    def close(self) -> None:
        with self._lock:
            self._closed = True
            while not self._readers.empty():
                self._readers.get_nowait().close()
            self._db.close()


def _latest(mentions: list[Mention]) -> list[_Row]:
    """One row per mention id, the last of a batch winning (a re-crawl in the same batch)."""
    return [_Row.of(m) for m in {m.id: m for m in mentions}.values()]


def _record(m: Mention) -> str:
    """Mention.to_dict as JSON. orjson writes the dataclass itself (to_dict and json.dumps were a third of
    the write path's CPU): the same JSON whenever both times are in UTC, as the pipeline keeps them."""
    if m.published_at.utcoffset() == ZERO and m.crawled_at.utcoffset() == ZERO:
        try:
            return orjson.dumps(m).decode("utf-8")
        except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits from a page: json writes any
            pass
    return json.dumps(m.to_dict(), ensure_ascii=False)


_OWN_COLUMNS = {"id": "{id}", "platform": "{platform}", "source": "{source}", "author.followers": "{followers}",
                "author.name": "{author}", "author.id": "{author_id}", "published_at": "{t}"}


def _projection(fields: tuple[str, ...]) -> tuple[str, list[str]]:
    """The select list for `fields` (columns where the tables have them, the rest read from the record
    inside SQLite) and the JSON paths it binds."""
    select = ", ".join(_OWN_COLUMNS.get(f, "json_extract(m.data, ?)") for f in fields)
    return select, [f"$.{f}" for f in fields if f not in _OWN_COLUMNS]


def _as_fields(fields: tuple[str, ...], rows: list) -> list[tuple]:
    """Rows as find_fields gives them: the time column holds what to_dict writes, as a timestamp."""
    if "published_at" not in fields:
        return [tuple(r) for r in rows]
    at = fields.index("published_at")
    return [(*r[:at], datetime.fromtimestamp(r[at], timezone.utc).isoformat(), *r[at + 1:]) for r in rows]


def _outage(store: SqliteStore, exc: Exception) -> bool:
    """Every SQLite error but a constraint one is the file's or the disk's fault, not the caller's."""
    return isinstance(exc, sqlite3.Error) and not isinstance(exc, sqlite3.IntegrityError)


raising_unavailable(SqliteStore, _outage)


BRAND_COLUMNS = ("id", "sentiment", "source", "platform", "author", "author_id", "followers", "story", "engagement",
                 "crisis")


def _columns(sql: str, columns: dict[str, str]) -> str:
    for name, column in columns.items():
        sql = sql.replace(f"{{{name}}}", column)
    return sql


def _brand_table_answers(q: Query) -> bool:
    """Filters the brand table's own columns answer (everything but text, keywords, categories, threads and
    known_time)."""
    return not (q.keywords or q.categories or q.text is not None or q.known_time or q.threads)


def _rollup_of(q: Query) -> str | None:
    """The rollup that answers the query's whole hours: roll_hour for brand, sentiment, source and platform
    filters; roll_facets for one category with brand and sentiment (a mention in two of several categories
    asked for would count twice there); None when only the mentions can."""
    if (q.keywords or q.crisis or q.text is not None or q.min_followers is not None or q.min_engagement is not None
            or q.unique or q.authors or q.known_time or q.picks_records()):
        return None
    if not q.categories:
        return HOURLY
    return FACETS if len(q.categories) == 1 and not (q.sources or q.platforms) else None


def _counted(q: Query) -> str:
    """What a count counts: stories, authors (without an id: one unknown author) or mentions."""
    if q.unique:
        return "count(DISTINCT {story})"
    if q.authors:
        return "count(DISTINCT coalesce({author_id}, ''))"
    return "count(*)"


def _rollup(q: Query, lo: float | None, hi: float | None, select: str, group: str | None = None,
            table: str | None = None, facet: str | None = None) -> tuple[str, list[Any]]:
    """SQL over a rollup's whole hours in [lo, hi): roll_facets rows of one `facet` (all values), or of
    the query's one category."""
    table = table or _rollup_of(q)
    clauses, args = _hours(lo, hi)
    clauses, args = ["brand = ?", *clauses], [q.brand or ALL, *args]
    if table == FACETS and facet:
        clauses.append("facet = ?")
        args.append(facet)
    elif table == FACETS:
        clauses.append("facet = 'category' AND value = ?")
        args.append(q.categories[0])
    for column, values in (("sentiment", q.sentiments), ("source", q.sources), ("platform", q.platforms)):
        if values:
            clauses.append(f"{column} IN ({','.join('?' * len(values))})")
            args.extend(values)
    sql = f"SELECT {select} FROM {table} WHERE {' AND '.join(clauses)}"
    return sql + (f" GROUP BY {group}" if group else ""), args


def _hours(lo: float | None, hi: float | None) -> tuple[list[str], list[Any]]:
    """Rollup rows of the whole hours in [lo, hi) (both on hour boundaries, or open)."""
    clauses, args = [], []
    if lo is not None:
        clauses.append("hour >= ?")
        args.append(int(lo // HOUR))
    if hi is not None:
        clauses.append("hour < ?")
        args.append(int(hi // HOUR))
    return clauses, args


def _fts_query(text: str) -> str:
    """Every phrase of the search must be in the text or the title (monitor/store/matching.py)."""
    phrases = matching.search_phrases(text)
    return " AND ".join(f'"{p}"' for p in phrases) if phrases else '"\u0000"'
