"""Indexing rate into Elasticsearch: the store's own path against raw elasticsearch-py, same documents.

`project` is ElasticStore.upsert fed batch by batch as crawls feed it (per batch: where does each
mention live now, the bulk requests, `--concurrency` of them in flight, and the rollup counts), then a
count, as the rules read right after a crawl (it refreshes first). `baseline` is elasticsearch-py's
helpers.parallel_bulk of the same documents into the same monthly indices with as many threads and the same
request size, one refresh at the end (with --concurrency 1, helpers.bulk); detail.serial_bulk is
helpers.bulk (one request after another). Each round uses fresh indices (same template) and deletes them
after; the rates are medians over the rounds, rotating which goes first.

    python bench/index.py --es http://127.0.0.1:9200 [--mentions 20000] [--batch 500] [--rounds 5] [--concurrency 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from elasticsearch import Elasticsearch, helpers

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.config.model import ElasticConfig  # noqa: E402
from monitor.mention import Author, Engagement, Mention  # noqa: E402
from monitor.store.base import Query  # noqa: E402
from monitor.store.elastic import ElasticStore  # noqa: E402
from monitor.store.elastic_schema import Layout, install, mention_doc  # noqa: E402

BRANDS = ("星河手机", "云朵奶茶", "极光手机")
WORDS = ("电池", "发热", "续航", "屏幕", "客服", "退款", "好用", "卡顿", "拍照", "价格", "物流", "包装", "口感", "排队",
         "新品", "活动", "投诉", "维权", "推荐", "失望")
LABELS = ("negative", "neutral", "positive")


def mentions(n: int, seed: int) -> list[Mention]:
    """Forum posts over the last 45 days (two monthly indices), with words, brands and engagement."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    out = []
    for i in range(n):
        brand = rng.choice(BRANDS)
        words = rng.sample(WORDS, 6)
        text = f"{brand}" + "，".join(words) + "。" + "真的" * rng.randint(0, 20)
        out.append(Mention(
            id=f"bench:{i}", platform="forum", source=f"bbs{i % 7}", url=f"http://127.0.0.1/t/{i // 20}#{i}",
            text=text, title=f"{brand} {words[0]}", published_at=now - timedelta(minutes=rng.randint(0, 45 * 1440)),
            crawled_at=now, author=Author(id=f"u{i % 997}", name=f"用户{i % 997}", followers=rng.randint(0, 10**6)),
            engagement=Engagement(likes=rng.randint(0, 500), comments=rng.randint(0, 50)), brands=[brand],
            tokens=[brand, *words], keywords=words[:3], sentiment=rng.random(), sentiment_label=rng.choice(LABELS)))
    return out


def project(url: str, prefix: str, docs: list[Mention], batch: int, concurrency: int) -> float:
    store = ElasticStore(ElasticConfig(url=url, index_prefix=prefix, bulk_concurrency=concurrency))
    store.ensure_setup()
    started = time.perf_counter()
    for i in range(0, len(docs), batch):
        result = store.upsert(docs[i:i + batch])  # raises StoreUnavailable if the node cannot take them
        assert not result.refused, "the node refused the bench's writes"
    assert store.count(Query()) == len(docs)
    seconds = time.perf_counter() - started
    store.close()
    return seconds


def raw(es: Elasticsearch, prefix: str, docs: list[Mention], batch: int, threads: int) -> float:
    """helpers.bulk (threads 1) or helpers.parallel_bulk, requests of `batch` documents."""
    layout = Layout(prefix)
    install(es, layout)
    started = time.perf_counter()
    actions = ({"_index": layout.month_index(m.published_at), "_id": m.id, "_source": mention_doc(m)} for m in docs)
    if threads == 1:
        ok, errors = helpers.bulk(es, actions, chunk_size=batch)
    else:
        results = list(helpers.parallel_bulk(es, actions, thread_count=threads, chunk_size=batch))
        ok, errors = sum(1 for done, _ in results if done), [info for done, info in results if not done]
    es.indices.refresh(index=layout.mentions)
    seconds = time.perf_counter() - started
    assert ok == len(docs) and not errors
    return seconds


def drop(es: Elasticsearch, prefix: str) -> None:
    names = list(es.indices.get(index=f"{prefix}-*"))
    if names:
        es.indices.delete(index=",".join(names))
    es.indices.delete_index_template(name=Layout(prefix).template)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--es", required=True, help="Elasticsearch URL (scripts/elasticsearch.sh start prints one)")
    parser.add_argument("--mentions", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500, help="mentions per upsert / bulk chunk")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=2,
                        help="the store's bulk_concurrency, and the baseline's parallel_bulk threads")
    args = parser.parse_args()
    docs = mentions(args.mentions, args.seed)
    es = Elasticsearch(args.es, request_timeout=120)
    # the store splits a batch into `concurrency` requests of at least 100 (monitor/store/elastic_bulk.py)
    share = max(1, min(args.concurrency, args.batch // 100))
    request = -(-args.batch // share)
    runs = {"project": lambda p: project(args.es, p, docs, args.batch, args.concurrency),
            "baseline": lambda p: raw(es, p, docs, request, args.concurrency)}
    if args.concurrency > 1:
        runs["serial_bulk"] = lambda p: raw(es, p, docs, args.batch, 1)
    rates: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for r in range(args.rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            prefix = f"brandmon-bench-{uuid.uuid4().hex[:8]}"
            try:
                seconds = runs[name](prefix)
                assert es.count(index=Layout(prefix).mentions)["count"] == len(docs)
            finally:
                drop(es, prefix)
            rates[name].append(len(docs) / seconds)
            print(f"round {r + 1} {name:<11}: {len(docs)} mentions in {seconds:.2f} s = {rates[name][-1]:,.0f}/s",
                  file=sys.stderr)
    es.close()
    medians = {name: statistics.median(v) for name, v in rates.items()}
    print(json.dumps({
        "metric": "index_rate", "unit": "mentions/s",
        "project": round(medians["project"]), "baseline": round(medians["baseline"]),
        "ratio": round(medians["project"] / medians["baseline"], 3),
        "detail": {"mentions": args.mentions, "batch": args.batch, "rounds": args.rounds,
                   "concurrency": args.concurrency, "load_1m": round(os.getloadavg()[0], 1),
                   "serial_bulk": round(medians["serial_bulk"]) if "serial_bulk" in medians else None,
                   "rates": {n: [round(x) for x in v] for n, v in rates.items()},
                   "project_path": f"ElasticStore.upsert per batch of {args.batch} (ids lookup, bulk requests "
                                   f"{args.concurrency} in flight, rollup counts), then a count",
                   "baseline_path": (f"helpers.parallel_bulk, {args.concurrency} threads, requests of {request}"
                                     if args.concurrency > 1 else f"helpers.bulk, requests of {request}")
                                    + ", one refresh at the end",
                   "serial_bulk_path": f"helpers.bulk, requests of {args.batch}, one refresh at the end"},
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
