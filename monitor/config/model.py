"""Typed configuration: parsed once at the edge, read-only everywhere else."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from monitor.config.durations import Duration


class Strict(BaseModel):
    """Unknown keys are errors, and values never change after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class BrandConfig(Strict):
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    competitors: tuple[str, ...] = ()

    @property
    def terms(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


class ForumOptions(Strict):
    """Selectors for a thread list → thread pages → posts site. 'xpath:' prefixes XPath, else CSS."""

    thread_links: str
    next_page: str | None = None
    post: str
    text: str
    post_id: str | None = None
    author: str | None = None
    time: str | None = None
    title: str | None = None
    thread_next_page: str | None = None
    content_type: Literal["post", "comment", "reply"] = "post"
    max_list_pages: int = Field(default=3, ge=1)
    max_thread_pages: int = Field(default=10, ge=1)


class FeedOptions(Strict):
    max_items: int = Field(default=200, ge=1)


SPIDER_OPTIONS: dict[str, type[Strict]] = {"forum": ForumOptions, "feed": FeedOptions}


class SourceConfig(Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    type: str
    start_urls: tuple[str, ...] = Field(min_length=1)
    interval: Duration = timedelta(minutes=10)
    platform: str | None = None
    timezone: str | None = None
    obey_robots: bool = True
    options: ForumOptions | FeedOptions | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in SPIDER_OPTIONS:
            raise ValueError(f"unknown spider type '{value}' (known: {', '.join(SPIDER_OPTIONS)})")
        return value

    @field_validator("start_urls")
    @classmethod
    def _http_urls(cls, urls: tuple[str, ...]) -> tuple[str, ...]:
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"'{url}' is not an http(s) URL")
        return urls

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return value if value is None else check_zone(value)

    @property
    def platform_name(self) -> str:
        return self.platform or self.name


class ElasticConfig(Strict):
    url: str
    index_prefix: str = Field(default="brandmon", pattern=r"^[a-z0-9_-]+$")
    username: str | None = None
    password: str | None = None


class StoreConfig(Strict):
    backend: Literal["embedded", "elasticsearch"] = "embedded"
    path: Path | None = None
    elasticsearch: ElasticConfig | None = None

    @model_validator(mode="after")
    def _es_needs_url(self) -> "StoreConfig":
        if self.backend == "elasticsearch" and self.elasticsearch is None:
            raise ValueError("backend 'elasticsearch' needs an 'elasticsearch: {url: ...}' section")
        return self


class SentimentConfig(Strict):
    model: str | None = None
    negative_below: float = Field(default=0.35, ge=0, le=1)
    positive_above: float = Field(default=0.65, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> "SentimentConfig":
        if self.negative_below > self.positive_above:
            raise ValueError("negative_below must not exceed positive_above")
        return self


class NlpConfig(Strict):
    sentiment: SentimentConfig = SentimentConfig()
    user_dicts: tuple[Path, ...] = ()


class HttpConfig(Strict):
    bind: str = "127.0.0.1:8787"
    public_url: str | None = None
    ack_secret: str | None = None
    ack_ttl: Duration = timedelta(hours=24)


class Config(Strict):
    timezone: str = "Asia/Shanghai"
    state_dir: Path = Path("brandmon-data")
    store: StoreConfig = StoreConfig()
    brands: tuple[BrandConfig, ...] = Field(min_length=1)
    sources: tuple[SourceConfig, ...] = ()
    nlp: NlpConfig = NlpConfig()
    channels: dict[str, str | tuple[str, ...]] = {}
    rules_dir: Path = Path("rules")
    evaluate_every: Duration = timedelta(minutes=1)
    http: HttpConfig = HttpConfig()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_zone(value)

    @field_validator("brands")
    @classmethod
    def _unique_brands(cls, brands: tuple[BrandConfig, ...]) -> tuple[BrandConfig, ...]:
        _unique([b.name for b in brands], "brand")
        return brands

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, sources: tuple[SourceConfig, ...]) -> tuple[SourceConfig, ...]:
        _unique([s.name for s in sources], "source")
        return sources

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def channel_urls(self, name: str) -> tuple[str, ...]:
        urls = self.channels[name]
        return (urls,) if isinstance(urls, str) else urls

    def brand(self, name: str) -> BrandConfig:
        return next(b for b in self.brands if b.name == name)

    def source(self, name: str) -> SourceConfig:
        return next(s for s in self.sources if s.name == name)


def check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone '{value}'") from None
    return value


def _unique(names: list[str], what: str) -> None:
    seen = set()
    for name in names:
        if name in seen:
            raise ValueError(f"duplicate {what} name '{name}'")
        seen.add(name)
