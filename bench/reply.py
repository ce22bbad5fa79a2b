"""The live reply queue of 20 brands over a week of ~70k mentions a day: what the daemon's SLA-breach check
costs each minute.

The mentions are bench/scale.py's stream (Zipf-like brand sizes, the diurnal rhythm, promotion days, slow
crises, repost storms, spam waves, re-crawls); each brand's official Weibo account answers about half of
its complaints in their comment trees, 5 minutes to 8 hours later, and the others wait.

- project: median seconds of the SLA check (monitor/reply/sla.py: ReplyDesk.breaches walks every brand's
  queue oldest first, 1,000 complaints per read, reading only the fields that place a complaint, and
  reads whole only the few examples an alert shows);
- baseline: the same answer from the queue with every item's whole record (ReplyDesk.stream, what the
  check read before: decoding each complaint of the window);
- ratio: project / baseline;
- detail: mentions stored, the biggest brand's complaints in the window, items queued and breached, how
  many of the biggest brand's queued items a single capped read (its newest 20,000 mentions) would see,
  and the peak Python memory (tracemalloc) of one check each way.

    nice python bench/reply.py --days 7
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scale import BRANDS, Stream  # noqa: E402
from monitor.clock import FakeClock  # noqa: E402
from monitor.config.loader import Settings  # noqa: E402
from monitor.config.model import BrandConfig, Config, ReplyConfig  # noqa: E402
from monitor.config.rules import Playbook  # noqa: E402
from monitor.mention import Author, Mention  # noqa: E402
from monitor.reply.queue import BREACHED, ReplyDesk  # noqa: E402
from monitor.reply.sla import EXAMPLES  # noqa: E402
from monitor.reply.sla import sla_findings  # noqa: E402
from monitor.store.base import Query  # noqa: E402
from monitor.store.sqlite import SqliteStore  # noqa: E402

OLD_SCAN = 20_000  # mentions of one brand the queue read per window before it was paged
START = datetime(2026, 11, 2, tzinfo=timezone.utc)


def official(brand: str) -> str:
    return f"{brand}官方"


def with_replies(batch: list[Mention], rng: random.Random) -> list[Mention]:
    """Complaints start threads of their own; the brand's account answers about half of them, some late."""
    out = []
    for m in batch:
        m.thread_id = m.thread_id or m.id
        out.append(m)
        if m.sentiment_label == "negative" and m.platform == "weibo" and rng.random() < 0.5:
            at = m.published_at + timedelta(minutes=rng.choice((5, 20, 45, 90, 240, 480)))
            out.append(Mention(
                id=f"{m.id}-r", platform="weibo", source=m.source, url=f"{m.url}#r", text="您好，已私信您处理",
                published_at=at, crawled_at=at, content_type="comment", thread_id=m.thread_id, parent_id=m.id,
                author=Author(id=f"id-{official(m.brands[0])}", name=official(m.brands[0]), followers=900_000),
                brands=list(m.brands), sentiment=0.6, sentiment_label="neutral", model="bench"))
    return out


def settings(lookback: timedelta) -> Settings:
    brands = tuple(BrandConfig(name=b, official_accounts={"weibo": [official(b)]}) for b in BRANDS)
    playbooks = {s: Playbook.model_validate({"name": s, "steps": [{"notify": ["console"]}]})
                 for s in ("warning", "critical")}
    return Settings(path=None, config=Config(brands=brands, reply=ReplyConfig(lookback=lookback)), rules=(),
                    playbooks=playbooks)


def whole(desk: ReplyDesk) -> dict[tuple[str, str], tuple[int, list[str]]]:
    """Breaches per brand and severity from the queue's whole items: the definition, item by item."""
    out: dict[tuple[str, str], tuple[int, list[str]]] = {}
    for item in desk.stream():
        if item.state == BREACHED:
            n, ids = out.get((item.brand, item.tier.severity), (0, []))
            out[(item.brand, item.tier.severity)] = (n + 1, ids + [item.mention.id] if len(ids) < EXAMPLES else ids)
    return out


def check(cfg, store, now, desk: ReplyDesk) -> dict[tuple[str, str], tuple[int, list[str]]]:
    """The daemon's check, as its findings say it."""
    return {(f.brand, f.severity): (f.figures["count"], [m.id for m in f.examples])
            for f in sla_findings(cfg, store, now, desk)}


def timed(fns, repeat: int) -> list[tuple[float, object]]:
    """Median seconds and last answer of each function, run in turn `repeat` times (a shared machine's
    load changes alike for each)."""
    times, out = [[] for _ in fns], [None for _ in fns]
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            started = time.perf_counter()
            out[k] = fn()
            times[k].append(time.perf_counter() - started)
    return [(statistics.median(t), o) for t, o in zip(times, out)]


def peak_bytes(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=7.0, help="days of mentions stored (the lookback is 7 days)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(Path(folder) / "bench.db")
        stream, stored = Stream(START), 0
        end = START + timedelta(days=args.days)
        for batch in stream.batches():
            store.upsert(with_replies(batch, rng))
            stored += len(batch)
            if stream.at >= end:
                break
        now = stream.at
        cfg = settings(timedelta(days=7))
        desk = ReplyDesk(cfg.config, store, FakeClock(now))
        whole(desk)  # warms SQLite's cache for both
        (project, found), (baseline, definition) = timed(
            [lambda: check(cfg, store, now, desk), lambda: whole(desk)], args.repeat)
        assert found == definition, "the check must give the queue's own answer"
        items = desk.items()
        top = BRANDS[0]
        window = Query(brand=top, start=now - timedelta(days=7), end=now + timedelta(minutes=1))
        newest = store.find(window, limit=OLD_SCAN)
        cutoff = newest[-1].published_at if len(newest) == OLD_SCAN else None
        top_items = [i for i in items if i.brand == top]
        detail = {
            "mentions_stored": stored, "days": args.days, "page": desk.page,
            "top_brand_mentions_in_window": store.count(window),
            "top_brand_complaints_in_window": store.count(Query(brand=top, sentiments=("negative",),
                                                                start=window.start, end=window.end)),
            "queued": len(items), "breached": sum(i.state == BREACHED for i in items),
            "top_brand_queued": len(top_items),
            "top_brand_queued_seen_by_old_20000_read": sum(cutoff is None or i.mention.published_at >= cutoff
                                                           for i in top_items),
            "alerted_breaches": sum(n for n, _ in found.values()),
            "peak_py_bytes_check": peak_bytes(lambda: check(cfg, store, now, desk)),
            "peak_py_bytes_whole_records": peak_bytes(lambda: whole(desk)),
            "sla_check_s": round(project, 3), "sla_check_whole_records_s": round(baseline, 3),
            "us_per_complaint_in_window": round(project / max(1, store.count(Query(
                sentiments=("negative",), start=window.start, end=window.end))) * 1e6, 1),
        }
        store.close()
    print(json.dumps({"metric": "reply_sla_check_s", "unit": "s", "project": round(project, 3),
                      "baseline": round(baseline, 3), "ratio": round(project / baseline, 3), "detail": detail},
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
