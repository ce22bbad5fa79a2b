"""The mention: the one record that flows from spider to index."""

from __future__ import annotations

import hashlib
import copy
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from typing import Any

from monitor.clock import utc


@dataclass(slots=True)
class Author:
    id: str | None = None
    name: str | None = None
    followers: int | None = None


@dataclass(slots=True)
class Engagement:
    likes: int | None = None
    comments: int | None = None
    reposts: int | None = None
    views: int | None = None


@dataclass(slots=True)
class Mention:
    """A post, comment or reply seen on one platform, plus what the NLP stage learned of it."""

    id: str
    platform: str
    source: str
    url: str
    text: str
    published_at: datetime
    crawled_at: datetime
    content_type: str = "post"
    native_id: str | None = None
    parent_id: str | None = None
    thread_id: str | None = None
    title: str | None = None
    author: Author = field(default_factory=Author)
    engagement: Engagement = field(default_factory=Engagement)
    ip_location: str | None = None
    status: str | None = None  # where a complaint stands, as the platform says it (黑猫投诉: 处理中, 已完成)
    brands: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    crisis_terms: list[str] = field(default_factory=list)  # said of one of its brands (nlp/attribution.py)
    crisis_brands: list[str] = field(default_factory=list)  # the brands its crisis terms are said of
    categories: list[str] = field(default_factory=list)  # what a complaint is about: 质量, 安全 … (nlp/categories.py)
    sentiment: float | None = None
    sentiment_label: str | None = None
    model: str | None = None
    cluster_id: str | None = None
    cluster_size: int = 1
    # The page gave no readable time: published_at is then the crawl that first saw it (an upper bound,
    # not the post's time), so rules leave such mentions out instead of counting a backlog as news.
    time_unknown: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = _plain(self)
        d["published_at"] = utc(self.published_at).isoformat()
        d["crawled_at"] = utc(self.crawled_at).isoformat()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Mention":
        d = dict(d)
        if "crisis_brands" not in d:  # a record from before crisis terms had a brand: every brand's, as then
            d["crisis_brands"] = list(d.get("brands") or ()) if d.get("crisis_terms") else []
        d["author"] = Author(**(d.get("author") or {}))
        d["engagement"] = Engagement(**(d.get("engagement") or {}))
        for key in ("published_at", "crawled_at"):
            if isinstance(d[key], str):
                d[key] = datetime.fromisoformat(d[key])
            d[key] = utc(d[key])
        return cls(**d)


_ATOMS = (str, int, float, bool, type(None), datetime)
_NAMES: dict[type, tuple[str, ...]] = {}


def _plain(value: Any) -> Any:
    """dataclasses.asdict without deep-copying every string: asdict was most of the cost of storing a mention."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is list:
        return [v if type(v) in _ATOMS else _plain(v) for v in value]
    if kind is dict:
        return {k: _plain(v) for k, v in value.items()}
    if is_dataclass(value):
        names = _NAMES.get(kind) or _NAMES.setdefault(kind, tuple(f.name for f in fields(value)))
        return {n: _plain(getattr(value, n)) for n in names}
    return copy.deepcopy(value)


def mention_id(platform: str, native_id: str | None = None, url: str = "", text: str = "") -> str:
    """Stable id: platform + native id when the site gives one, else a hash of URL and text."""
    if native_id:
        return f"{platform}:{native_id}"
    digest = hashlib.sha1(f"{url}\n{text}".encode("utf-8")).hexdigest()[:20]
    return f"{platform}:h{digest}"
