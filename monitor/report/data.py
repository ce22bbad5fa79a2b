"""The figures a report shows, read from whichever store is configured."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from statistics import median

from monitor.config import Settings
from monitor.config.model import BrandConfig
from monitor.config.rules import SENTIMENTS
from monitor.incident import Incident
from monitor.mention import Mention
from monitor.report.period import Period
from monitor.store.base import Query, Store

Progress = Callable[[str], None]
TOP = 10
WORKERS = 2  # brands read at once


@dataclass
class BrandFigures:
    name: str
    total: int = 0
    previous: int = 0
    sentiment: dict[str, int] = field(default_factory=dict)
    series: list[tuple[datetime, dict[str, int]]] = field(default_factory=list)
    share_of_voice: list[tuple[str, int]] = field(default_factory=list)
    sources: list[tuple[str, int]] = field(default_factory=list)
    words: list[tuple[str, int]] = field(default_factory=list)
    negative: list[Mention] = field(default_factory=list)  # one per story: the most engaged of each top story
    story_sizes: dict[str, int] = field(default_factory=dict)  # mention id → mentions in its story this period
    previous_sentiment: dict[str, int] = field(default_factory=dict)
    negative_words: list[tuple[str, int]] = field(default_factory=list)
    platforms: list[tuple[str, int]] = field(default_factory=list)
    regions: list[tuple[str, int]] = field(default_factory=list)
    categories: list[tuple[str, int]] = field(default_factory=list)  # among negative mentions
    authors: list[tuple[str, int, int | None]] = field(default_factory=list)  # name, mentions, followers
    competitors: list[tuple[str, int, int]] = field(default_factory=list)  # name, volume, negative
    reply: dict[str, int] = field(default_factory=dict)  # reply-SLA figures (monitor/reply/queue.py)

    @property
    def change(self) -> float | None:
        """Volume change against the previous period, as a fraction; None when there was nothing before."""
        return (self.total - self.previous) / self.previous if self.previous else None


@dataclass
class IncidentRow:
    incident: Incident
    to_ack: timedelta | None
    to_resolve: timedelta | None


@dataclass
class ReportData:
    period: Period
    brands: list[BrandFigures]
    incidents: list[IncidentRow]

    def median_to_ack(self) -> timedelta | None:
        return _median([r.to_ack for r in self.incidents])

    def median_to_resolve(self) -> timedelta | None:
        return _median([r.to_resolve for r in self.incidents])


def _median(values: list[timedelta | None]) -> timedelta | None:
    known = [v.total_seconds() for v in values if v is not None]
    return timedelta(seconds=median(known)) if known else None


def gather(settings: Settings, store: Store, period: Period, brand: str | None = None,
           progress: Progress = lambda line: None,
           each: Callable[[BrandFigures], None] = lambda figures: None) -> ReportData:
    """Brands are read WORKERS at a time (the store's reads run outside the interpreter lock, on reading
    connections or HTTP connections of their own); `each` gets every brand's figures, in order, in the
    calling thread as soon as they are read, so charts are drawn while later brands are still read."""
    from monitor.reply.queue import ReplyDesk

    chosen = chosen_brands(settings, brand)
    desk = ReplyDesk(settings.config, store)
    handled = desk.handled_since(period.start)  # the reply marks, read once for every brand

    def read(i: int, b) -> BrandFigures:
        progress(f"[{i}/{len(chosen)}] {b.name}: volume over {len(period.buckets)} buckets")
        out = _brand(store, period, b, progress)
        out.reply = desk.figures(period.start, period.end, b.name, handled)
        return out

    figures = []
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="report") as pool:
        for future in [pool.submit(read, i, b) for i, b in enumerate(chosen, 1)]:
            figures.append(future.result())
            each(figures[-1])
    progress("incidents")
    return ReportData(period, figures, _incidents(store, period, brand))


def chosen_brands(settings: Settings, brand: str | None) -> list[BrandConfig]:
    """The brands a report covers: the one asked for, else every brand that is not only a competitor."""
    return [b for b in settings.config.brands if (b.name == brand if brand else not b.competitor)]


def _brand(store: Store, period: Period, brand, progress: Progress) -> BrandFigures:
    before = period.previous()
    asked: dict[tuple, Query] = {}  # every count of the brand's figures, asked at once with its breakdowns

    def ask(*key, **kw) -> None:
        asked[key] = Query(**{"brand": brand.name, "start": period.start, "end": period.end, **kw})

    ask("total")
    ask("previous", start=before[0], end=before[1])
    for s in SENTIMENTS:
        ask("sentiment", s, sentiments=(s,))
        ask("previous_sentiment", s, sentiments=(s,), start=before[0], end=before[1])
        for n, (start, end) in enumerate(period.buckets):
            ask("series", n, s, sentiments=(s,), start=start, end=end)
    # every competitor is watched (config adds those that are not brands), so its collected mentions count
    for c in brand.competitors:
        ask("rival", c, brand=c)
        ask("rival_negative", c, brand=c, sentiments=("negative",))
    query = Query(brand=brand.name, start=period.start, end=period.end)
    negative = replace(query, sentiments=("negative",))
    # exact over the whole period: the store aggregates (rollups where they answer), nothing is sampled
    breakdowns = {"sources": ("facet_counts", (query, "source", TOP)), "words": ("top_terms", (query, TOP)),
                  "negative_words": ("top_terms", (negative, 5)),
                  "platforms": ("facet_counts", (query, "platform", TOP)),
                  "regions": ("facet_counts", (query, "region", TOP)),
                  "categories": ("facet_counts", (negative, "category", TOP)),
                  "authors": ("top_authors", (query, TOP))}
    answers = store.read_many([("count", (q,)) for q in asked.values()] + list(breakdowns.values()))
    got = dict(zip(asked, answers))

    out = BrandFigures(brand.name)
    out.total, out.previous = got["total",], got["previous",]
    out.sentiment = {s: got["sentiment", s] for s in SENTIMENTS}
    out.series = [(start, {s: got["series", n, s] for s in SENTIMENTS}) for n, (start, _) in enumerate(period.buckets)]
    out.share_of_voice = [(brand.name, out.total)] + [(c, got["rival", c]) for c in brand.competitors]
    out.previous_sentiment = {s: got["previous_sentiment", s] for s in SENTIMENTS}
    out.competitors = [(c, got["rival", c], got["rival_negative", c]) for c in brand.competitors]
    for name, value in zip(breakdowns, answers[len(asked):]):
        setattr(out, name, value)
    progress(f"  {brand.name}: stories, reply SLA")
    stories = store.top_stories(negative, 5)
    out.negative = [m for m, _ in stories]
    out.story_sizes = {m.id: n for m, n in stories}
    return out


def _incidents(store: Store, period: Period, brand: str | None) -> list[IncidentRow]:
    rows = []
    for inc in store.incidents(limit=100000):
        if not (period.start <= inc.opened_at < period.end) or (brand and inc.brand != brand):
            continue
        rows.append(IncidentRow(inc, inc.acked_at - inc.opened_at if inc.acked_at else None,
                                inc.resolved_at - inc.opened_at if inc.resolved_at else None))
    return sorted(rows, key=lambda r: r.incident.opened_at)
