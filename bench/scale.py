"""A big brand for weeks: does the store's cost stay flat as history grows?

Feeds a store with a generated stream of scored mentions (20 brands of Zipf-like sizes, the diurnal
rhythm of Chinese social media in Asia/Shanghai, weekends, promotion days, slow crises with
negative surges and crisis words, Weibo repost storms clustered as one story, spam waves, and
re-crawls that update recent mentions; complaint categories and IP regions as the NLP stage and the
platforms give them), in crawl batches of 500, ~70k mentions a day. At each
size it measures:

- ingest_per_s: mentions written per second over the last batches before reaching the size (and
  ingest_per_cpu_s, per second of this process's CPU: on a shared machine, what the work costs); over the
  whole fill of each size, fill_ingest_per_s (mentions written per second spent in upsert: steadier on a shared
  machine than the last batches' rate), fill_py_cpu_us_per_mention (the writer's CPU in upsert) and, on Elasticsearch,
  fill_es_cpu_us_per_mention (the node's CPU from its stats: where ingest time goes);
- cycle_20_brands_s: median of 3 evaluations of the shipped rules (rules/) for the 20 brands, one
  minute apart, after a first one that learns the spike baselines (and its CPU seconds);
- report_week_s: the weekly report for every brand (figures, breakdowns, reply SLA, Markdown, 40
  matplotlib charts), report_week_cpu_s its CPU seconds (SQLite's reads run in this process too), and
  report_week_figures_s: its figures alone (what the store answers);
- disk_bytes_per_mention: the store's size on disk over the mentions stored;
- at the largest size, ack_max_s: the slowest of the acks made every 100 ms for 10 s while rule cycles
  run back to back and ingest goes on in other threads (the daemon's policy lock is not held by rules);
  and on the embedded store, prune_day_s: retention pruning of the oldest day of mentions (rollups kept)
  with the incremental vacuum after it;
- with --migrate-at SIZE (embedded), migrate_2_to_3_s: opening a copy of the file narrowed to schema 2,
  which migrates it, and migrate_rows_differing: rows of the rebuilt tables that differ from the original (0);
- load_1m, load_1m_end: the machine's load average when the size's measurements start and end (on a
  shared machine the wall-clock figures follow it).

`project` is the cycle time at the largest size, `baseline` the cycle time at the smallest (the same
work with little history), `ratio` the ingest rate at the largest size over the smallest.

    nice python bench/scale.py --store embedded --sizes 10000,100000,1000000
    python bench/scale.py --store elasticsearch --es http://127.0.0.1:9200 --sizes 10000,100000

A 2M fill takes a quarter of an hour: `--keep DIR` leaves the filled store in DIR (without the acks and the
pruning, which write), and `--reuse DIR` measures the cycle and the report on it again, e.g. before and after a
change to the read side.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.alerting.notify import Notifier  # noqa: E402
from monitor.alerting.playbook import freeze  # noqa: E402
from monitor.alerting.policy import IncidentManager  # noqa: E402
from monitor.clock import Clock  # noqa: E402
from monitor.config import load_settings  # noqa: E402
from monitor.detect.engine import evaluate_rules  # noqa: E402
from monitor.detect.readahead import ReadAhead  # noqa: E402
from monitor.incident import OPEN, Incident  # noqa: E402
from monitor.mention import Author, Engagement, Mention  # noqa: E402

BRANDS = ("星河手机", "云朵奶茶", "极光汽车", "青松家电", "白鹭美妆", "海棠饮料", "远山耳机", "晨星电池", "银杏母婴",
          "长河啤酒", "北辰手表", "南风空调", "东篱茶饮", "西岭户外", "明月酒店", "清泉矿泉水", "金穗面包", "紫藤服饰",
          "赤兔快递", "玄武电脑")
SOURCES = (("weibo-search", "weibo", 0.45), ("tieba-digital", "tieba", 0.2), ("bilibili-comments", "bilibili", 0.15),
           ("xhs-notes", "xiaohongshu", 0.1), ("discuz-bbs", "forum", 0.06), ("news-feed", "news", 0.04))
NEGATIVE = ("发热", "卡顿", "客服", "退款", "质量差", "售后", "排队", "涨价", "漏液", "异味", "延误", "掉色")
POSITIVE = ("好用", "推荐", "性价比", "颜值", "回购", "惊喜", "顺滑", "耐用")
NEUTRAL = ("价格", "新品", "发布会", "参数", "门店", "活动", "直播", "包装", "物流", "评测")
CRISIS = ("爆炸", "召回", "维权", "曝光", "起火", "集体投诉")
STORY = ("电池鼓包", "食品安全", "虚假宣传", "数据泄露", "刹车失灵")
# what the complaint categoriser (monitor/nlp/categories.py) would file each complaint word under
CATEGORY = {"发热": "质量", "卡顿": "质量", "质量差": "质量", "漏液": "质量", "掉色": "质量", "客服": "服务/售后",
            "售后": "服务/售后", "排队": "服务/售后", "退款": "价格/退款", "涨价": "价格/退款", "延误": "物流",
            "异味": "食品安全", "爆炸": "安全", "起火": "安全", "召回": "质量", "电池鼓包": "安全", "食品安全": "食品安全",
            "虚假宣传": "虚假宣传", "数据泄露": "隐私/数据", "刹车失灵": "安全"}
# IP 属地 as the platforms that show it report it (population-weighted, the big coastal provinces first)
REGIONS = (("广东", 12), ("江苏", 8), ("山东", 7), ("浙江", 7), ("河南", 6), ("四川", 6), ("北京", 5), ("上海", 5),
           ("湖北", 4), ("福建", 4), ("湖南", 4), ("河北", 4), ("安徽", 3), ("陕西", 3), ("辽宁", 3), ("海外", 1))
SHOWS_REGION = {"weibo", "xiaohongshu", "bilibili", "tieba"}
FILLER = ("真的", "今天", "朋友说", "看到新闻", "有没有人", "求助", "分享一下", "说实话", "吐槽", "蹲一个")
# Weibo's day in Shanghai: asleep at 4 a.m., lunch bump, evening peak around 21-22 h
DIURNAL = (0.45, 0.3, 0.2, 0.15, 0.12, 0.15, 0.3, 0.55, 0.8, 0.95, 1.0, 1.05, 1.2, 1.1, 1.0, 1.0, 1.0, 1.05,
           1.1, 1.25, 1.4, 1.5, 1.35, 0.85)
PER_DAY = 70_000
ACK_SECONDS = 10.0
BATCH = 500
SHANGHAI = timezone(timedelta(hours=8))


class Stream:
    """Mentions in crawl order, minute by minute, from `start`."""

    def __init__(self, start: datetime, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.at = start
        self.n = 0
        weights = [1 / (i + 1) ** 0.9 for i in range(len(BRANDS))]
        total = sum(weights)
        self.brand_weights = [w / total for w in weights]
        self.events: list[dict] = []
        self.recent: list[Mention] = []

    def _rate(self, at: datetime) -> float:
        local = at.astimezone(SHANGHAI)
        day = (local.date() - datetime(2026, 1, 1).date()).days
        weekend = 1.15 if local.weekday() >= 5 else 1.0
        promotion = 2.5 if day % 11 == 10 else 1.0  # a shopping festival now and then
        return PER_DAY / 1440 / (sum(DIURNAL) / 24) * DIURNAL[local.hour] * weekend * promotion

    def _maybe_start_events(self) -> None:
        rng = self.rng
        if rng.random() < 1 / (60 * 30):  # a slow crisis about every 30 hours
            self.events.append({"kind": "crisis", "brand": rng.choice(BRANDS[:8]), "left": rng.randint(180, 480),
                                "rate": rng.uniform(2, 12), "story": rng.choice(STORY)})
        if rng.random() < 1 / (60 * 8):  # a repost storm every ~8 hours
            self.events.append({"kind": "storm", "brand": rng.choices(BRANDS, self.brand_weights)[0],
                                "left": rng.randint(40, 150), "rate": rng.uniform(10, 40), "story": f"story-{self.n}"})
        if rng.random() < 1 / (60 * 12):  # a spam wave twice a day
            self.events.append({"kind": "spam", "brand": rng.choice(BRANDS), "left": rng.randint(15, 45),
                                "rate": rng.uniform(5, 20), "story": None})

    def _mention(self, brand: str, kind: str, event: dict | None) -> Mention:
        rng = self.rng
        self.n += 1
        source, platform, _ = rng.choices(SOURCES, [s[2] for s in SOURCES])[0]
        if kind == "crisis":
            label = "negative" if rng.random() < 0.8 else "neutral"
            words = [event["story"], rng.choice(CRISIS), *rng.sample(NEGATIVE, 2)]
        elif kind == "storm":
            source, platform, label = "weibo-search", "weibo", rng.choice(("negative", "negative", "neutral"))
            words = [event["story"][-4:], *rng.sample(NEGATIVE, 2)]
        elif kind == "spam":
            label, words = "positive", ["限时优惠", "加微信", rng.choice(POSITIVE)]
        else:
            label = rng.choices(("negative", "neutral", "positive"), (0.22, 0.5, 0.28))[0]
            pool = {"negative": NEGATIVE, "positive": POSITIVE, "neutral": NEUTRAL}[label]
            words = rng.sample(pool, 2) + rng.sample(NEUTRAL, 1)
        text = f"{rng.choice(FILLER)}，{brand}{'，'.join(words)}。" + rng.choice(FILLER) * rng.randint(0, 6)
        if kind == "storm":
            text = f"//@用户{rng.randint(1, 10**6)}: 转发微博 {text}"
        followers = int(rng.paretovariate(1.2) * 50)
        at = self.at + timedelta(seconds=rng.uniform(0, 60))
        return Mention(
            id=f"{platform}:{self.n}", platform=platform, source=source, url=f"http://127.0.0.1/{platform}/{self.n}",
            text=text, title=None, published_at=at, crawled_at=at + timedelta(minutes=rng.uniform(1, 20)),
            author=Author(id=f"u{rng.randint(1, 200_000)}", name=f"用户{rng.randint(1, 200_000)}", followers=followers),
            engagement=Engagement(likes=int(rng.paretovariate(1.5)) - 1, comments=int(rng.paretovariate(2)) - 1,
                                  reposts=0),
            brands=[brand], tokens=[brand, *words], keywords=words[:3], crisis_terms=(crisis := [w for w in words if w in CRISIS]),
            crisis_brands=[brand] if crisis else [],
            sentiment={"negative": 0.1, "neutral": 0.5, "positive": 0.9}[label], sentiment_label=label,
            model="bench", cluster_id=event["story"] if kind == "storm" else None,
            categories=list(dict.fromkeys(CATEGORY[w] for w in words if w in CATEGORY)) if label == "negative" else [],
            ip_location=rng.choices([r for r, _ in REGIONS], [w for _, w in REGIONS])[0]
            if platform in SHOWS_REGION else None)

    def minute(self) -> list[Mention]:
        """One minute of new mentions, plus re-crawls of some from the last hour (engagement grew)."""
        rng = self.rng
        self._maybe_start_events()
        out = [self._mention(b, "normal", None)
               for b in rng.choices(BRANDS, self.brand_weights, k=_poisson(rng, self._rate(self.at)))]
        for event in self.events:
            out += [self._mention(event["brand"], event["kind"], event) for _ in range(_poisson(rng, event["rate"]))]
            event["left"] -= 1
        self.events = [e for e in self.events if e["left"] > 0]
        recrawled = []
        for m in rng.sample(self.recent, min(len(self.recent), len(out) // 20)):
            again = Mention.from_dict(m.to_dict())
            again.engagement.likes = (again.engagement.likes or 0) + rng.randint(1, 50)
            recrawled.append(again)
        self.recent = (self.recent + out)[-3000:]
        self.at += timedelta(minutes=1)
        return out + recrawled

    def batches(self) -> Iterator[list[Mention]]:
        pending: list[Mention] = []
        while True:
            pending += self.minute()
            while len(pending) >= BATCH:
                yield pending[:BATCH]
                pending = pending[BATCH:]


def _poisson(rng: random.Random, lam: float) -> int:
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    k, p, limit = 0, 1.0, math.exp(-lam)
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def write_config(folder: Path, es_url: str | None, prefix: str, bulk_concurrency: int | None = None) -> Path:
    lines = [f"state_dir: {folder / 'state'}", f"rules_dir: {ROOT / 'rules'}", "timezone: Asia/Shanghai", "brands:"]
    for i, brand in enumerate(BRANDS):
        rivals = [BRANDS[(i + 1) % len(BRANDS)], BRANDS[(i + 2) % len(BRANDS)]]
        lines += [f"  - name: {brand}", f"    competitors: [{', '.join(rivals)}]"]
    lines.append("sources:")
    for name, platform, _ in SOURCES:
        lines += [f"  - name: {name}", "    type: feed", f"    platform: {platform}",
                  f"    start_urls: ['http://127.0.0.1:9/{name}.xml']"]
    lines += ["channels:", "  console: console://", "  pr_oncall: console://", "  pr_manager: console://"]
    if es_url:
        lines += ["store:", "  backend: elasticsearch", "  elasticsearch:", f"    url: {es_url}",
                  f"    index_prefix: {prefix}"]
        if bulk_concurrency is not None:
            lines.append(f"    bulk_concurrency: {bulk_concurrency}")
    path = folder / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def disk_bytes(store) -> int:
    if hasattr(store, "file_bytes"):
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return store.file_bytes()
    store._refresh()
    stats = store.es.indices.stats(index=store.layout.mentions_pattern, metric="store")
    return stats["_all"]["primaries"]["store"]["size_in_bytes"]


def es_cpu_s(store) -> float | None:
    """CPU seconds the Elasticsearch node has used (all nodes, summed); None for the embedded store."""
    if not hasattr(store, "es"):
        return None
    nodes = store.es.nodes.stats(metric="process")["nodes"].values()
    return sum(node["process"]["cpu"]["total_in_millis"] for node in nodes) / 1000


def measure_cycle(settings, store, now: datetime) -> tuple[float, float]:
    """Median wall and CPU seconds of a cycle (the machine may be shared: CPU is what the cycle costs), as
    the daemon runs them: each asks at once what the one before read (monitor/detect/readahead.py)."""
    ahead = ReadAhead()
    evaluate_rules(settings, store, now, ahead)  # learns the spike baselines over the history it has
    wall, cpu = [], []
    for k in range(1, 4):
        started, used = time.perf_counter(), time.process_time()
        evaluate_rules(settings, store, now + timedelta(minutes=k), ahead)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    return statistics.median(wall), statistics.median(cpu)


def measure_report(settings, store, now: datetime) -> tuple[float, float, float]:
    """The whole weekly report (figures, Markdown, 2 charts per brand): wall and CPU seconds; and its store
    part alone (wall)."""
    from monitor.report.data import gather
    from monitor.report.period import period_until
    from monitor.report.send import build_report

    started = time.perf_counter()
    gather(settings, store, period_until("weekly", now, settings.config.zone))
    figures = time.perf_counter() - started
    started, used = time.perf_counter(), time.process_time()
    build_report(settings, store, "weekly", now, None)
    return time.perf_counter() - started, time.process_time() - used, figures


def measure_acks(settings, store, now: datetime, batches: Iterator[list[Mention]]) -> dict:
    """Acks every 100 ms while a rule cycle and ingest batches run in other threads."""
    manager = IncidentManager(settings, store, Notifier(settings.config), Clock())
    busy = threading.Event()
    busy.set()

    def cycle() -> None:  # back-to-back cycles for at least ACK_SECONDS
        until, k, ahead = time.perf_counter() + ACK_SECONDS, 0, ReadAhead()
        while time.perf_counter() < until or k < 3:
            k += 1
            evaluate_rules(settings, store, now + timedelta(minutes=10 + k), ahead)
        busy.clear()

    def ingest() -> None:
        while busy.is_set():
            store.upsert(next(batches))

    workers = [threading.Thread(target=cycle), threading.Thread(target=ingest)]
    for w in workers:
        w.start()
    latencies = []
    while busy.is_set() or not latencies:
        incident = Incident(id=f"INC-BENCH-{uuid.uuid4().hex[:8]}", fingerprint="bench|星河手机|", rule="bench",
                            brand=BRANDS[0], severity="critical", title="bench", opened_at=now, last_seen_at=now,
                            playbook=freeze(settings.playbooks["critical"]), state=OPEN, figures={})
        store.save_incident(incident)
        started = time.perf_counter()
        manager.ack(incident.id, "bench")
        latencies.append(time.perf_counter() - started)
        time.sleep(0.1)
    for w in workers:
        w.join()
    return {"acks": len(latencies), "ack_median_s": round(statistics.median(latencies), 4),
            "ack_max_s": round(max(latencies), 4)}


def measure_prune(store, first: datetime) -> dict:
    """Embedded store: retention pruning of the oldest day of history (the hourly job's first run once the
    retention starts to bite), and the incremental vacuum that returns the pages; rollups are kept."""
    from monitor.config.model import RetentionConfig

    kept, now = store.retention, datetime.now(timezone.utc)
    store.retention = RetentionConfig(mentions=now - (first + timedelta(days=1)))
    try:
        before, started, used = disk_bytes(store), time.perf_counter(), time.process_time()
        gone = store.prune(now)
        wall, cpu = time.perf_counter() - started, time.process_time() - used
    finally:
        store.retention = kept
    return {"prune_day_mentions": gone["mentions"], "prune_day_s": round(wall, 2), "prune_day_cpu_s": round(cpu, 2),
            "prune_freed_bytes": before - disk_bytes(store)}


# what schema 2 held (tests/store/test_sqlite.py narrows its files with it too): a narrower brand table, no
# roll_facets, keyword rollups without the sentiment
SCHEMA_2 = """
BEGIN;
CREATE TABLE mb2 (brand TEXT NOT NULL, ts REAL NOT NULL, mid INTEGER NOT NULL, sentiment TEXT NOT NULL,
                  source TEXT NOT NULL, platform TEXT NOT NULL, PRIMARY KEY (brand, ts, mid)) WITHOUT ROWID;
INSERT INTO mb2 SELECT brand, ts, mid, sentiment, source, platform FROM mention_brands;
DROP TABLE mention_brands; ALTER TABLE mb2 RENAME TO mention_brands; DROP TABLE roll_facets;
CREATE TABLE rt2 (brand TEXT NOT NULL, hour INTEGER NOT NULL, term TEXT NOT NULL, n INTEGER NOT NULL,
                  PRIMARY KEY (brand, hour, term)) WITHOUT ROWID;
INSERT INTO rt2 SELECT brand, hour, term, sum(n) FROM roll_terms GROUP BY brand, hour, term;
DROP TABLE roll_terms; ALTER TABLE rt2 RENAME TO roll_terms;
PRAGMA user_version=2;
COMMIT;
"""


def measure_migration(store) -> dict:
    """Embedded store: a copy of the file narrowed to schema 2, then opened (which migrates it to the current
    schema): how long an upgrade keeps the daemon from starting, and whether it rebuilt the same tables."""
    import sqlite3

    from monitor.store.sqlite import SqliteStore

    store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    copy = store.path.with_name("schema2.db")
    shutil.copy(store.path, copy)
    try:
        with contextlib.closing(sqlite3.connect(copy, isolation_level=None)) as db:
            db.executescript(SCHEMA_2)
        started, used = time.perf_counter(), time.process_time()
        SqliteStore(copy).close()
        wall, cpu = time.perf_counter() - started, time.process_time() - used
        with contextlib.closing(sqlite3.connect(copy)) as db:
            db.execute("ATTACH ? AS now", (str(store.path),))
            differ = sum(db.execute(f"SELECT count(*) FROM (SELECT * FROM {a}.{t} EXCEPT SELECT * FROM {b}.{t})"
                                    ).fetchone()[0] for t in ("mention_brands", "roll_terms", "roll_facets")
                         for a, b in (("main", "now"), ("now", "main")))
    finally:
        for leftover in copy.parent.glob(copy.name + "*"):
            leftover.unlink()
    return {"migrate_2_to_3_s": round(wall, 1), "migrate_2_to_3_cpu_s": round(cpu, 1), "migrate_rows_differing": differ}


KEPT = "filled.json"  # in a --keep folder: what was stored and the stream's time and count, for --reuse


def run(store_kind: str, es_url: str | None, sizes: list[int], progress, migrate_at: int | None = None,
        keep: Path | None = None, reuse: Path | None = None, bulk_concurrency: int | None = None) -> dict:
    from monitor.store import open_store

    if reuse:
        folder, kept = reuse, json.loads((reuse / KEPT).read_text())
        settings = load_settings(folder / "config.yaml")
        store_kind = "elasticsearch" if settings.config.store.backend == "elasticsearch" else "embedded"
        sizes = [kept["stored"]]
        progress(f"reusing {kept['stored']} stored mentions in {folder}")
    else:
        folder = keep or Path(tempfile.mkdtemp(prefix="brandmon-scale-"))
        folder.mkdir(parents=True, exist_ok=True)
        prefix = f"bench-scale-{uuid.uuid4().hex[:8]}"
        settings = load_settings(write_config(folder, es_url if store_kind == "elasticsearch" else None, prefix,
                                              bulk_concurrency))
    if settings.config.store.elasticsearch:
        prefix = settings.config.store.elasticsearch.index_prefix
        bulk_concurrency = settings.config.store.elasticsearch.bulk_concurrency
    store = open_store(settings.config)
    store.ensure_setup()
    if reuse:
        start = datetime.fromisoformat(kept["start"])
        stream = Stream(datetime.fromisoformat(kept["now"]), seed=kept["n"])  # later writes: fresh ids after the kept ones
        stream.n, stored = kept["n"], kept["stored"]
    else:
        start = datetime(2026, 10, 5, tzinfo=timezone.utc) - timedelta(days=max(sizes) / PER_DAY * 1.1)
        stream, stored = Stream(start), 0
    batches = stream.batches()
    rows, log = [], []
    try:
        for size in sizes:
            began, from_stored, es_began = time.perf_counter(), stored, es_cpu_s(store)
            fill_py = fill_wall = 0.0
            while stored < size:
                batch = next(batches)
                t, used = time.perf_counter(), time.process_time()
                result = store.upsert(batch)
                log.append((len(batch), time.perf_counter() - t, time.process_time() - used))
                fill_py += log[-1][2]
                fill_wall += log[-1][1]
                stored += result.new
                if len(log) % 200 == 0:
                    progress(f"{stored} stored, {len(batch) / log[-1][1]:.0f}/s")
                    if hasattr(store, "_refresh"):
                        store._refresh()  # as the rules' reads between crawls would
            window = min(10_000, size // 2)
            n = secs = cpu = 0.0
            for count, seconds, cpu_seconds in reversed(log):
                n, secs, cpu = n + count, secs + seconds, cpu + cpu_seconds
                if n >= window:
                    break
            progress(f"size {size}: filled in {time.perf_counter() - began:.0f} s; measuring the cycle and the report")
            filled = stored - from_stored
            row = {"stored": stored, "load_1m": round(os.getloadavg()[0], 1),  # a reused store fills nothing
                   "ingest_per_s": round(n / secs) if secs else None, "ingest_per_cpu_s": round(n / cpu) if cpu else None,
                   # over this size's whole fill: the writer's CPU, and the node's (Elasticsearch, via its stats)
                   "fill_s": round(time.perf_counter() - began),
                   "fill_ingest_per_s": round(filled / fill_wall) if fill_wall else None,
                   "fill_py_cpu_us_per_mention": round(fill_py / filled * 1e6) if filled else None}
            if es_began is not None and filled:
                row["fill_es_cpu_us_per_mention"] = round((es_cpu_s(store) - es_began) / filled * 1e6)
            now = stream.at
            if keep and size == sizes[-1]:
                (folder / KEPT).write_text(json.dumps({"stored": stored, "now": now.isoformat(), "n": stream.n,
                                                       "start": start.isoformat()}))
            cycle, cycle_cpu = measure_cycle(settings, store, now)
            row.update({"cycle_20_brands_s": round(cycle, 3), "cycle_20_brands_cpu_s": round(cycle_cpu, 3)})
            report, report_cpu, figures = measure_report(settings, store, now)
            row["report_week_s"], row["report_week_cpu_s"] = round(report, 2), round(report_cpu, 2)
            row["report_week_figures_s"] = round(figures, 2)
            row["disk_bytes_per_mention"] = round(disk_bytes(store) / stored)
            if store_kind == "embedded" and size == migrate_at:
                progress("timing a schema 2 → 3 migration of a copy")
                row.update(measure_migration(store))
            if size == sizes[-1] and not (keep or reuse):  # both write: a kept store stays as it was filled
                row.update(measure_acks(settings, store, now, batches))
                if store_kind == "embedded":
                    row.update(measure_prune(store, start))
            row["load_1m_end"] = round(os.getloadavg()[0], 1)
            progress(json.dumps(row))
            rows.append(row)
    finally:
        if keep or reuse:
            store.close()
            progress(f"kept: measure it again with --reuse {folder}")
        elif store_kind == "elasticsearch":
            names = list(store.es.indices.get(index=f"{prefix}-*", expand_wildcards="all"))
            if names:
                store.es.indices.delete(index=",".join(names))
            store.es.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-mentions")
        if not (keep or reuse):
            store.close()
            shutil.rmtree(folder, ignore_errors=True)  # a 2M embedded file is 3 GB
    return {"metric": f"scale_{store_kind}", "unit": "s",
            "project": rows[-1]["cycle_20_brands_s"], "baseline": rows[0]["cycle_20_brands_s"],
            "ratio": round(rows[-1]["ingest_per_s"] / rows[0]["ingest_per_s"], 3) if not reuse else None,
            # on a shared machine the wall-clock rates follow the neighbours' load; CPU rates follow the work

            "detail": {"store": store_kind, "sizes": rows, "mentions_per_day": PER_DAY, "batch": BATCH,
                       "brands": len(BRANDS), "bulk_concurrency": bulk_concurrency,
                       "ingest_ratio": "largest / smallest ingest_per_s",
                       "ingest_cpu_ratio": round(rows[-1]["ingest_per_cpu_s"] / rows[0]["ingest_per_cpu_s"], 3)
                       if not reuse else None, "reused": str(reuse) if reuse else None,
                       "project_is": "cycle_20_brands_s at the largest size",
                       "baseline_is": "cycle_20_brands_s at the smallest size"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=("embedded", "elasticsearch"), default="embedded")
    parser.add_argument("--es", default="http://127.0.0.1:9200")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--migrate-at", type=int, metavar="SIZE",
                        help="embedded: at this size, also time opening a copy narrowed to schema 2 (the upgrade)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep the filled store (its config, file or indices) in DIR for later --reuse runs; "
                             "leaves out the acks and the pruning at the largest size, which change it")
    parser.add_argument("--reuse", type=Path, metavar="DIR",
                        help="measure the store a --keep run left in DIR again, without filling (--store, --es "
                             "and --sizes come from it); delete DIR and, on Elasticsearch, its indices by hand after")
    parser.add_argument("--bulk-concurrency", type=int, metavar="N",
                        help="Elasticsearch: the store's bulk_concurrency (default: the store's default, 2)")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    result = run(args.store, args.es, sizes, lambda line: print(f"scale: {line}", file=sys.stderr, flush=True),
                 args.migrate_at, args.keep, args.reuse, args.bulk_concurrency)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
