"""The embedded store's own duties: migrating an old file, pruning by retention, giving disk space back."""

from __future__ import annotations

import json
import re
import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import timedelta, timezone

from bench.scale import SCHEMA_2
from monitor.config.model import RetentionConfig
from monitor.store import sqlite as sqlite_module
from monitor.store.base import Query
from monitor.store.sqlite import SCHEMA_VERSION, SqliteStore
from tests.store.records import T0, mention

# the schema brandmon 0.x wrote (schema version 1: no user_version, FTS keyed by an UNINDEXED id column)
V1_SCHEMA = """
CREATE TABLE mentions (id TEXT PRIMARY KEY, ts REAL NOT NULL, platform TEXT NOT NULL, source TEXT NOT NULL,
    sentiment_label TEXT, crisis INTEGER NOT NULL DEFAULT 0, engagement INTEGER NOT NULL DEFAULT 0,
    text TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX mentions_ts ON mentions(ts);
CREATE TABLE mention_brands (mention_id TEXT NOT NULL, brand TEXT NOT NULL, ts REAL NOT NULL,
    PRIMARY KEY (brand, mention_id));
CREATE INDEX mention_brands_ts ON mention_brands(brand, ts);
CREATE VIRTUAL TABLE mentions_fts USING fts5(id UNINDEXED, tokens);
CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _v1_file(path, mentions) -> None:
    db = sqlite3.connect(path)
    db.executescript(V1_SCHEMA)
    for m in mentions:
        ts = m.published_at.timestamp()
        db.execute("INSERT INTO mentions VALUES (?,?,?,?,?,?,?,?,?)",
                   (m.id, ts, m.platform, m.source, m.sentiment_label, 0, 0, m.text,
                    json.dumps(m.to_dict(), ensure_ascii=False)))
        db.executemany("INSERT INTO mention_brands VALUES (?,?,?)", [(m.id, b, ts) for b in m.brands])
        db.execute("INSERT INTO mentions_fts VALUES (?,?)", (m.id, " ".join(m.tokens)))
    db.execute("INSERT INTO state VALUES ('spike:小米', '{\"means\": [1]}')")
    db.commit()
    db.close()


def test_an_old_file_is_migrated_on_open_with_every_mention_rollup_and_state(tmp_path):
    path = tmp_path / "brandmon.db"
    old = [mention(n, n * 20, label="positive" if n % 4 == 0 else "negative") for n in range(1, 13)]
    _v1_file(path, old)
    store = SqliteStore(path)
    try:
        day = Query(brand="小米", start=T0, end=T0 + timedelta(days=1))
        assert store.count(day) == 12
        assert store.count(Query(brand="小米", sentiments=("positive",), start=T0, end=T0 + timedelta(days=1))) == 3
        assert store.top_terms(day, 1) == [("发热", 12)]
        assert store.count(Query(text="发热")) == 12
        assert store.get_state("spike:小米") == {"means": [1]}
        assert store.upsert([mention(1, 20)]).updated == 1  # the migrated mention is found by id
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "mentions_v1" not in tables


def test_an_interrupted_migration_resumes_and_stores_each_mention_once(tmp_path):
    path = tmp_path / "brandmon.db"
    _v1_file(path, [mention(n, n) for n in range(1, 6)])
    with sqlite3.connect(path) as db:  # as a migration killed after renaming and copying some of it leaves it
        db.execute("ALTER TABLE mentions RENAME TO mentions_v1")
        db.execute("DROP TABLE mention_brands")
        db.execute("DROP TABLE mentions_fts")
    store = SqliteStore(path)
    try:
        assert store.count(Query(brand="小米")) == 5
        assert store.count(Query()) == 5
    finally:
        store.close()


def test_pruning_deletes_old_mentions_from_every_figure_and_keeps_rollups_longer(tmp_path):
    store = SqliteStore(tmp_path / "brandmon.db",
                        RetentionConfig(mentions=timedelta(days=180), rollups=timedelta(days=3 * 365)))
    try:
        old = [mention(n, -60 * 24 * 200 + n) for n in range(1, 4)]  # 200 days before T0
        store.upsert([*old, mention(9, 0)])
        gone = store.prune(T0)
        assert gone == {"mentions": 3, "rollups": 0}
        assert [m.id for m in store.find(Query())] == ["forum:9"]
        assert store.count(Query(text="发热")) == 1
        year = Query(brand="小米", start=T0 - timedelta(days=365), end=T0 + timedelta(days=1))
        assert store.count(year) == 4  # whole hours come from the rollups, which outlive the mentions
        # rollup rows: (小米, *) × two hours, and keywords per hour: 发热 词0 词1, then 发热 词1
        assert store.prune(T0 + timedelta(days=4 * 365)) == {"mentions": 1, "rollups": 9}
        assert store.count(Query(brand="小米")) == 0
    finally:
        store.close()


def test_pruning_gives_the_space_back_to_the_file_system(tmp_path):
    store = SqliteStore(tmp_path / "brandmon.db", RetentionConfig(mentions=timedelta(days=1)))
    try:
        store.upsert([mention(n, -60 * 24 * 10, text=f"第{n}条 " + "很长的内容" * 200) for n in range(1, 800)])
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = store.path.stat().st_size
        store.prune(T0)
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert store.path.stat().st_size < before / 2
    finally:
        store.close()


def test_without_retention_nothing_is_pruned(tmp_path):
    store = SqliteStore(tmp_path / "brandmon.db")
    try:
        store.upsert([mention(1, -60 * 24 * 3000)])
        assert store.prune(T0) == {"mentions": 0, "rollups": 0}
        assert store.count(Query()) == 1
    finally:
        store.close()


def test_records_are_written_as_mention_to_dict_whatever_the_times_and_numbers(tmp_path):
    """The fast writer (orjson) and json give the same record; a non-UTC time or a number beyond 64 bits
    takes json's path instead of failing."""
    plain, shanghai, huge = mention(1, 0), mention(2, 1), mention(3, 2)
    huge.engagement.views = 2**70  # a page's view counter: kept in the record, not in a column
    shanghai.published_at = shanghai.published_at.astimezone(timezone(timedelta(hours=8)))
    with closing(SqliteStore(tmp_path / "b.db")) as store:
        store.upsert([plain, shanghai, huge])
        stored = dict(store._db.execute("SELECT id, data FROM mentions").fetchall())
        for m in (plain, shanghai, huge):
            assert json.loads(stored[m.id]) == m.to_dict()
        assert {m.id: m for m in store.find(Query())}[huge.id].engagement.views == 2**70


def _schema_2_file(path) -> None:
    """12 mentions of 小米, written now and narrowed to what schema 2 held: a narrower brand table, no roll_facets,
    keyword rollups without the sentiment."""
    rows = [mention(n, n * 10, categories=[["质量"], ["物流", "质量"], []][n % 3]) for n in range(1, 13)]
    for n, m in enumerate(rows):
        m.ip_location, m.author.followers = ("广东", None)[n % 2], n * 100
    with closing(SqliteStore(path)) as store:
        store.upsert(rows)
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.executescript(SCHEMA_2)


def test_a_schema_2_file_gains_the_brand_columns_and_category_rollups_on_open(tmp_path):
    path = tmp_path / "v2.db"
    _schema_2_file(path)
    with closing(SqliteStore(path)) as store:
        day = Query(brand="小米", start=T0, end=T0 + timedelta(days=1))
        assert store.facet_counts(day, "category") == [("质量", 8), ("物流", 4)]
        assert store.facet_counts(Query(), "region") == [("广东", 6)]
        assert store.count(Query(brand="小米", categories=("物流",), start=T0, end=T0 + timedelta(days=1))) == 4
        assert store.top_authors(day, 1) == [("用户12", 1, 1100)]
        assert store.top_terms(replace(day, sentiments=("negative",)), 1) == [("发热", 12)]
        assert store.term_counts(replace(day, sentiments=("positive",)), ["发热"]) == {"发热": 0}
        assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_schema_2_migration_logs_its_progress_step_by_step_and_counts_each_mention_once(tmp_path, monkeypatch, caplog):
    path = tmp_path / "v2.db"
    _schema_2_file(path)
    monkeypatch.setattr(sqlite_module, "MIGRATE_CHUNK", 5)
    with caplog.at_level("WARNING", logger="monitor.store.sqlite"), closing(SqliteStore(path)) as store:
        assert store.count(Query(brand="小米")) == 12
        assert sum(n for _, n in store.facet_counts(Query(brand="小米"), "region")) == 6
    steps = [re.match(r"migrating to schema \d+: (\d+)/(\d+) mentions \(\d+%, \d+ s\)$", r.getMessage())
             for r in caplog.records]  # as read, whatever log filter an earlier test installed has done to args
    assert [m.groups() for m in steps if m] == [("5", "12"), ("10", "12"), ("12", "12")]


def test_a_schema_3_file_keeps_each_brands_crisis_flag_as_it_was_and_gains_author_ids(tmp_path):
    """Before schema 4 a crisis term was every brand's of its mention; those rows stay so, new ones are per brand.
    The author ids move into the brand table, where official replies and distinct authors are read."""
    path = tmp_path / "v3.db"
    old = mention(1, 0, text="瑞幸起火了 还是 小米 好", crisis=["起火"])
    old.brands, old.crisis_brands = ["小米", "瑞幸"], ["小米", "瑞幸"]
    others = [mention(2, 1), mention(4, 3)]
    for n, m in enumerate([old, *others]):
        m.author.id = f"uid-{n}"
    with closing(SqliteStore(path)) as store:
        store.upsert([old, *others])
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.executescript("ALTER TABLE mention_brands DROP COLUMN crisis; ALTER TABLE mention_brands DROP COLUMN author_id;"
                         " PRAGMA user_version=3;")
    new = mention(3, 2, text="瑞幸起火了 还是 小米 好", crisis=["起火"])
    new.brands, new.crisis_brands, new.author.id = ["小米", "瑞幸"], ["瑞幸"], "uid-1"
    with closing(SqliteStore(path)) as store:
        assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        store.upsert([new])
        assert [m.id for m in store.find(Query(brand="小米", crisis=True))] == ["forum:1"]
        assert sorted(m.id for m in store.find(Query(brand="瑞幸", crisis=True))) == ["forum:1", "forum:3"]
        assert store.count(Query(brand="小米")) == 4
        assert [m.id for m in store.find(Query(brand="小米", written_by=("UID-2",)))] == ["forum:4"]  # ids fold case
        assert store.count(Query(brand="小米", authors=True)) == 3

