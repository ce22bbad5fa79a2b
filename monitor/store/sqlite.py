"""The embedded store: one SQLite file in WAL mode, so brandmon runs with no server at all."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from monitor.clock import utc
from monitor.incident import Delivery, Event, Incident
from monitor.mention import Mention
from monitor.store.base import Query, Store, UpsertResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS mentions (
    id TEXT PRIMARY KEY,
    ts REAL NOT NULL,
    platform TEXT NOT NULL,
    source TEXT NOT NULL,
    sentiment_label TEXT,
    crisis INTEGER NOT NULL DEFAULT 0,
    engagement INTEGER NOT NULL DEFAULT 0,
    text TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS mentions_ts ON mentions(ts);
CREATE TABLE IF NOT EXISTS mention_brands (
    mention_id TEXT NOT NULL,
    brand TEXT NOT NULL,
    ts REAL NOT NULL,
    PRIMARY KEY (brand, mention_id)
);
CREATE INDEX IF NOT EXISTS mention_brands_ts ON mention_brands(brand, ts);
CREATE VIRTUAL TABLE IF NOT EXISTS mentions_fts USING fts5(id UNINDEXED, tokens);
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
"""


def _engagement(m: Mention) -> int:
    e = m.engagement
    return (e.likes or 0) + (e.comments or 0) + (e.reposts or 0)


class SqliteStore(Store):
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._lock = threading.RLock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    # mentions
    def upsert(self, mentions: list[Mention]) -> UpsertResult:
        new = updated = 0
        with self._lock, self._db:
            self._db.execute("BEGIN")
            for m in mentions:
                ts = utc(m.published_at).timestamp()
                existed = self._db.execute("SELECT 1 FROM mentions WHERE id=?", (m.id,)).fetchone()
                self._db.execute(
                    "INSERT INTO mentions(id, ts, platform, source, sentiment_label, crisis, engagement, text, data)"
                    " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET ts=excluded.ts,"
                    " sentiment_label=excluded.sentiment_label, crisis=excluded.crisis,"
                    " engagement=excluded.engagement, text=excluded.text, data=excluded.data",
                    (m.id, ts, m.platform, m.source, m.sentiment_label, int(bool(m.crisis_terms)),
                     _engagement(m), m.text, json.dumps(m.to_dict(), ensure_ascii=False)))
                self._db.execute("DELETE FROM mention_brands WHERE mention_id=?", (m.id,))
                self._db.executemany("INSERT INTO mention_brands(mention_id, brand, ts) VALUES (?,?,?)",
                                     [(m.id, b, ts) for b in m.brands])
                self._db.execute("DELETE FROM mentions_fts WHERE id=?", (m.id,))
                self._db.execute("INSERT INTO mentions_fts(id, tokens) VALUES (?,?)",
                                 (m.id, " ".join(m.tokens) or m.text))
                if existed:
                    updated += 1
                else:
                    new += 1
        return UpsertResult(new=new, updated=updated)

    def _where(self, q: Query) -> tuple[str, str, list[Any]]:
        joins, clauses, args = "", [], []
        if q.brand:
            joins += " JOIN mention_brands b ON b.mention_id = m.id"
            clauses.append("b.brand = ?")
            args.append(q.brand)
        for column, values in (("m.sentiment_label", q.sentiments), ("m.source", q.sources),
                               ("m.platform", q.platforms)):
            if values:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                args.extend(values)
        if q.keywords:
            clauses.append("(" + " OR ".join("instr(lower(m.text), ?) > 0" for _ in q.keywords) + ")")
            args.extend(k.lower() for k in q.keywords)
        if q.categories:
            clauses.append("EXISTS (SELECT 1 FROM json_each(m.data, '$.categories') WHERE value IN "
                           f"({','.join('?' * len(q.categories))}))")
            args.extend(q.categories)
        if q.crisis:
            clauses.append("m.crisis = 1")
        if q.min_followers is not None:
            clauses.append("CAST(json_extract(m.data, '$.author.followers') AS INTEGER) >= ?")
            args.append(q.min_followers)
        if q.min_engagement is not None:
            clauses.append("m.engagement >= ?")
            args.append(q.min_engagement)
        if q.text:
            clauses.append("m.id IN (SELECT id FROM mentions_fts WHERE mentions_fts MATCH ?)")
            args.append(_fts_query(q.text))
        if q.start:
            clauses.append("m.ts >= ?")
            args.append(utc(q.start).timestamp())
        if q.end:
            clauses.append("m.ts < ?")
            args.append(utc(q.end).timestamp())
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        return joins, where, args

    def count(self, query: Query) -> int:
        joins, where, args = self._where(query)
        with self._lock:
            return self._db.execute(f"SELECT {_counted(query)} FROM mentions m{joins}{where}", args).fetchone()[0]

    def histogram(self, query: Query, bucket: timedelta) -> list[tuple[datetime, int]]:
        if query.start is None or query.end is None:
            raise ValueError("a histogram needs a start and an end")
        size = bucket.total_seconds()
        joins, where, args = self._where(query)
        with self._lock:
            rows = self._db.execute(
                f"SELECT CAST(m.ts / ? AS INTEGER) AS k, {_counted(query)} FROM mentions m{joins}{where} GROUP BY k",
                [size, *args]).fetchall()
        counts = dict(rows)
        first = int(utc(query.start).timestamp() // size)
        last = int((utc(query.end).timestamp() - 1e-6) // size)
        return [(datetime.fromtimestamp(k * size, timezone.utc), counts.get(k, 0)) for k in range(first, last + 1)]

    def find(self, query: Query, limit: int = 20, order: str = "recent") -> list[Mention]:
        joins, where, args = self._where(query)
        by = "m.engagement DESC, m.ts DESC" if order == "engagement" else "m.ts DESC"
        with self._lock:
            rows = self._db.execute(f"SELECT m.data FROM mentions m{joins}{where} ORDER BY {by} LIMIT ?",
                                    [*args, limit]).fetchall()
        return [Mention.from_dict(json.loads(r[0])) for r in rows]

    def top_terms(self, query: Query, limit: int = 10) -> list[tuple[str, int]]:
        joins, where, args = self._where(query)
        counts: Counter[str] = Counter()
        with self._lock:
            for (data,) in self._db.execute(f"SELECT m.data FROM mentions m{joins}{where} LIMIT 20000", args):
                counts.update(json.loads(data).get("keywords") or [])
        return counts.most_common(limit)

    # incidents
    def save_incident(self, incident: Incident) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO incidents(id, fingerprint, state, opened_at, data) VALUES (?,?,?,?,?)"
                " ON CONFLICT(id) DO UPDATE SET state=excluded.state, data=excluded.data",
                (incident.id, incident.fingerprint, incident.state, utc(incident.opened_at).isoformat(),
                 json.dumps(incident.to_dict(), ensure_ascii=False)))

    def get_incident(self, incident_id: str) -> Incident | None:
        with self._lock:
            row = self._db.execute("SELECT data FROM incidents WHERE id=?", (incident_id,)).fetchone()
        return Incident.from_dict(json.loads(row[0])) if row else None

    def incidents(self, states: tuple[str, ...] = (), limit: int = 100) -> list[Incident]:
        where = f" WHERE state IN ({','.join('?' * len(states))})" if states else ""
        with self._lock:
            rows = self._db.execute(f"SELECT data FROM incidents{where} ORDER BY opened_at DESC LIMIT ?",
                                    [*states, limit]).fetchall()
        return [Incident.from_dict(json.loads(r[0])) for r in rows]

    def add_event(self, event: Event) -> None:
        with self._lock:
            self._db.execute("INSERT INTO events(incident_id, data) VALUES (?,?)",
                             (event.incident_id, json.dumps(event.to_dict(), ensure_ascii=False)))

    def events(self, incident_id: str) -> list[Event]:
        with self._lock:
            rows = self._db.execute("SELECT data FROM events WHERE incident_id=? ORDER BY seq",
                                    (incident_id,)).fetchall()
        return [Event.from_dict(json.loads(r[0])) for r in rows]

    def claim_delivery(self, incident_id: str, step: str, channel: str, at: datetime) -> bool:
        with self._lock:
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
        with self._lock:
            rows = self._db.execute(
                f"SELECT incident_id, step, channel, status, at, attempts, error FROM deliveries{where}"
                " ORDER BY at, rowid", args).fetchall()
        return [Delivery(r[0], r[1], r[2], r[3], datetime.fromisoformat(r[4]), r[5], r[6]) for r in rows]

    # named state
    def get_state(self, key: str) -> Any | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM state WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put_state(self, key: str, value: Any) -> None:
        with self._lock:
            self._db.execute("INSERT INTO state(key, value) VALUES (?,?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                             (key, json.dumps(value, ensure_ascii=False)))

    def ping(self) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1").fetchone() == (1,)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _counted(query: Query) -> str:
    """Mentions, or stories: a mention without a cluster is a story of its own."""
    return "count(DISTINCT coalesce(json_extract(m.data, '$.cluster_id'), m.id))" if query.unique else "count(*)"


def _fts_query(text: str) -> str:
    """Every word of the query must appear; words are quoted so FTS syntax in user input is inert."""
    import jieba

    words = [w.strip() for w in jieba.lcut(text) if w.strip()]
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in words) or '""'
