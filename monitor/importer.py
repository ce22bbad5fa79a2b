"""Importing history: mention records from JSON lines, with their own times, through NLP and clustering.

One record a line, the mention record of the README ("Importing history"). A malformed line is
reported with its number and skipped; the rest still loads. Records keep their published time; a
record without one is refused (a time is never invented). With `keep_sentiment`, the labels the
records carry are kept instead of scored, which is how a labelled stream is replayed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from monitor.clock import utc
from monitor.config.model import BrandConfig, NlpConfig
from monitor.mention import Author, Engagement, Mention, mention_id
from monitor.nlp.cluster import ClusterIndex
from monitor.nlp.pipeline import NlpStage, brand_names
from monitor.store.base import Store

LABELS = ("negative", "neutral", "positive")


class BadRecord(ValueError):
    """A record that cannot become a mention, and why."""


def _time(value, key: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise BadRecord(f"{key}: expected an ISO 8601 time, got {value!r}")
    try:
        return utc(datetime.fromisoformat(value))
    except ValueError:
        raise BadRecord(f"{key}: not an ISO 8601 time: {value!r}") from None


def _count(value, key: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
        raise BadRecord(f"{key}: expected a count, got {value!r}")
    return value


def to_mention(record: dict) -> Mention:
    """One record → one mention; raises BadRecord naming the key at fault."""
    if not isinstance(record, dict):
        raise BadRecord("a record must be a JSON object")
    for key in ("source", "platform", "text"):
        if not isinstance(record.get(key), str) or not record[key]:
            raise BadRecord(f"{key}: required text")
    published = _time(record.get("published_at"), "published_at")
    crawled = _time(record["crawled_at"], "crawled_at") if record.get("crawled_at") else published
    author = record.get("author") or {}
    engagement = record.get("engagement") or {}
    if not isinstance(author, dict) or not isinstance(engagement, dict):
        raise BadRecord("author and engagement must be objects")
    label = record.get("sentiment_label")
    if label is not None and label not in LABELS:
        raise BadRecord(f"sentiment_label: one of {', '.join(LABELS)}, got {label!r}")
    score = record.get("sentiment")
    if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1):
        raise BadRecord(f"sentiment: a score between 0 and 1, got {score!r}")
    native = record.get("native_id")
    return Mention(
        id=record.get("id") or mention_id(record["platform"], native, record.get("url", ""), record["text"]),
        platform=record["platform"], source=record["source"], url=record.get("url") or "", text=record["text"],
        published_at=published, crawled_at=crawled, content_type=record.get("content_type") or "post",
        native_id=native, parent_id=record.get("parent_id"), thread_id=record.get("thread_id"),
        title=record.get("title"), ip_location=record.get("ip_location"),
        author=Author(author.get("id"), author.get("name"), _count(author.get("followers"), "author.followers")),
        engagement=Engagement(*(_count(engagement.get(k), f"engagement.{k}")
                                for k in ("likes", "comments", "reposts", "views"))),
        sentiment=score, sentiment_label=label,
    )


def read_jsonl(lines: Iterable[str]) -> Iterator[tuple[int, dict | BadRecord]]:
    """(line number, record or the reason it is bad) for every non-blank line."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, BadRecord(f"not JSON: {exc.msg}")


@dataclass
class ImportReport:
    read: int = 0
    stored: int = 0
    irrelevant: int = 0  # no configured brand in the text
    bad: list[tuple[int, str]] = field(default_factory=list)


class Importer:
    """The daemon's ingest path minus the crawl: NLP, clustering, store."""

    def __init__(self, brands: tuple[BrandConfig, ...], nlp: NlpConfig, store: Store, keep_sentiment: bool = False,
                 stage: NlpStage | None = None) -> None:
        self.stage = stage or NlpStage(brands, nlp)
        self.clusters = ClusterIndex(store, ignore=brand_names(brands))
        self.store = store
        self.keep_sentiment = keep_sentiment

    def ingest(self, mentions: list[Mention]) -> tuple[list[Mention], int]:
        """Score, cluster and store a batch in published order; returns what was kept and how many were not about a brand."""
        mentions = sorted(mentions, key=lambda m: m.published_at)
        result = self.stage.process(mentions, keep_sentiment=self.keep_sentiment)
        self.clusters.assign(result.accepted)
        self.store.upsert(result.accepted)
        return result.accepted, result.irrelevant

    def load(self, records: Iterable[tuple[int, dict | BadRecord]], report: ImportReport, batch: int = 2000,
             progress=lambda n: None) -> ImportReport:
        pending: list[Mention] = []
        for number, record in records:
            report.read += 1
            try:
                if isinstance(record, BadRecord):
                    raise record
                pending.append(to_mention(record))
            except BadRecord as exc:
                report.bad.append((number, str(exc)))
            if len(pending) >= batch:
                self._flush(pending, report, progress)
        self._flush(pending, report, progress)
        return report

    def _flush(self, pending: list[Mention], report: ImportReport, progress) -> None:
        if pending:
            kept, irrelevant = self.ingest(pending)
            report.stored += len(kept)
            report.irrelevant += irrelevant
            progress(len(pending))
            pending.clear()
