"""Typed configuration: parsed once at the edge, read-only everywhere else."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from monitor.config.durations import Duration


class Strict(BaseModel):
    """Unknown keys are errors, and values never change after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class BrandConfig(Strict):
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    competitors: tuple[str, ...] = ()
    # optional boolean query a mention must also satisfy, e.g. '(手机 OR 充电) NOT 星河湾' (monitor/nlp/query.py)
    query: str | None = None

    @field_validator("query")
    @classmethod
    def _parsable(cls, value: str | None) -> str | None:
        from monitor.nlp.query import parse_query

        if value is not None:
            parse_query(value)  # a QuerySyntaxError is a ValueError naming the column
        return value

    @property
    def terms(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


Queries = str | tuple[str, ...]


class PostFields(Strict):
    """Where a post's parts are: CSS (or "xpath:…") on HTML pages, JMESPath on JSON, each optionally
    followed by ">> re:…" / ">> json:…" steps; a list is tried in order (monitor/crawl/selectors.py)."""

    post: Queries
    post_id: Queries | None = None
    text: Queries
    text_exclude: Queries | None = None  # CSS, all applied: HTML in the text to leave out (quotes, edit notes)
    author: Queries | None = None
    author_id: Queries | None = None
    time: Queries | None = None
    likes: Queries | None = None
    replies: Queries | None = None
    ip_location: Queries | None = None
    parent: Queries | None = None


class NestedFields(PostFields):
    """Replies nested in a post (Tieba's 楼中楼, Bilibili's child replies); unset fields reuse the post's."""

    text: Queries | None = None


class Tracking(Strict):
    """Known threads are re-checked soon while active, then less and less often, and dropped when quiet."""

    recheck: Duration | None = None  # the first re-check interval; default: the source's interval
    recheck_max: Duration = timedelta(days=1)
    track_for: Duration = timedelta(days=7)


class PageOptions(PostFields, Tracking):
    """What every spider reading paged posts shares; `preset:` fills in what a site engine needs."""

    spider_type: ClassVar[str]

    preset: str | None = None
    format: Literal["html", "json"] = "html"
    base_url: str | None = None
    title: Queries | None = None
    nested: NestedFields | None = None
    post_url: str | None = None
    thread_next_page: Queries | None = None
    max_thread_pages: int = Field(default=10, ge=1)
    content_type: Literal["post", "comment", "reply"] = "post"
    unwrap_comments: bool = False
    ok: str | None = None
    blocked: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        """The preset's options under the source's own; an unknown preset is the one error worth reporting."""
        from monitor.crawl.presets import preset_names, with_preset

        preset = data.get("preset") if isinstance(data, dict) else None
        known = preset_names(cls.spider_type)
        if preset is not None and preset not in known:
            raise ValueError(f"unknown preset '{preset}' (known: {', '.join(known)})")
        return with_preset(cls.spider_type, data)

    @field_validator("base_url")
    @classmethod
    def _http_base(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"'{value}' is not an http(s) URL")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _check_queries(self) -> "PageOptions":
        from monitor.crawl.selectors import check_queries, check_template

        for name in self.query_fields():
            try:
                check_queries(getattr(self, name), "html" if name == "text_exclude" else self.format)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        for block in (self.nested,) if self.nested else ():
            for name in PostFields.model_fields:
                try:
                    check_queries(getattr(block, name), "html" if name == "text_exclude" else self.format)
                except ValueError as exc:
                    raise ValueError(f"nested.{name}: {exc}") from None
        for name, allowed in self.templates().items():
            try:
                check_template(getattr(self, name), allowed)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
            if "{base}" in (getattr(self, name) or "") and not self.base_url:
                raise ValueError(f"{name} uses {{base}}: set base_url")
        if self.format == "html" and (self.ok or self.blocked):
            raise ValueError("ok and blocked are JMESPath tests for JSON pages; this source reads HTML")
        if self.format == "json" and self.unwrap_comments:
            raise ValueError("unwrap_comments applies to HTML pages only")
        for name in ("ok", "blocked"):
            try:
                check_queries(getattr(self, name), "json")
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        return self

    def query_fields(self) -> tuple[str, ...]:
        return (*PostFields.model_fields, "title", "thread_next_page")

    def templates(self) -> dict[str, tuple[str, ...]]:
        return {"post_url": ("base", "thread", "id")}


class ForumOptions(PageOptions):
    """Boards → thread lists → thread pages → posts. With a preset, `base_url` and `boards` suffice."""

    spider_type: ClassVar[str] = "forum"

    boards: tuple[str, ...] = ()
    board_url: str | None = None
    threads: Queries | None = None
    thread_links: Queries | None = None
    thread_id: Queries | None = None
    thread_url: str | None = None
    thread_title: Queries | None = None
    thread_mark: Queries | None = None
    next_page: Queries | None = None
    stream: Queries | None = None
    stream_url: str | None = None
    stream_param: str = "post_ids[]"
    max_list_pages: int = Field(default=3, ge=1)

    @field_validator("boards", mode="before")
    @classmethod
    def _board_names(cls, value: Any) -> Any:
        return tuple(str(v) for v in value) if isinstance(value, (list, tuple)) else value

    @model_validator(mode="after")
    def _finds_threads(self) -> "ForumOptions":
        if not self.thread_links and not (self.thread_id and self.thread_url):
            raise ValueError("set thread_links, or thread_id with thread_url, so threads can be found")
        if self.boards and not self.board_url:
            raise ValueError("boards need a board_url (or a preset that has one)")
        if self.stream and not self.stream_url:
            raise ValueError("stream needs a stream_url to fetch the posts it lists")
        return self

    def query_fields(self) -> tuple[str, ...]:
        return (*super().query_fields(), "threads", "thread_links", "thread_id", "thread_title",
                "thread_mark", "next_page", "stream")

    def templates(self) -> dict[str, tuple[str, ...]]:
        return {**super().templates(), "board_url": ("base", "board"), "thread_url": ("base", "thread"),
                "stream_url": ("base", "thread")}

    @property
    def has_own_urls(self) -> bool:
        return bool(self.boards)


class CommentPages(PageOptions):
    """How one comment section is paged: by cursor, page number or next link; newest first (read until
    known comments), oldest first (resume where the last walk ended) or ranked (read the top pages)."""

    spider_type: ClassVar[str] = "comments"

    url: str = "{target}"
    start_cursor: str = ""
    cursor: Queries | None = None
    end: Queries | None = None
    order: Literal["newest_first", "oldest_first", "ranked"] = "newest_first"
    content_type: Literal["post", "comment", "reply"] = "comment"

    @model_validator(mode="after")
    def _pages_are_reachable(self) -> "CommentPages":
        if "{target}" not in self.url:
            raise ValueError("url must contain {target}")
        if "{cursor}" in self.url and not self.cursor:
            raise ValueError("url pages by {cursor}: set cursor, the query that gives the next one")
        if "{page}" in self.url and self.order == "oldest_first":
            raise ValueError("url pages by {page}: that needs order newest_first or ranked (read from page 1)")
        return self

    def query_fields(self) -> tuple[str, ...]:
        return (*super().query_fields(), "cursor", "end")

    def templates(self) -> dict[str, tuple[str, ...]]:
        return {**super().templates(), "url": ("base", "target", "cursor", "page")}


class CommentsOptions(CommentPages):
    """Comment sections of watched targets (videos, articles, products). Presets: a Bilibili-style reply
    API, WordPress-style HTML comment blocks, Weibo comments."""

    targets: tuple[str, ...] = Field(min_length=1)

    @field_validator("targets", mode="before")
    @classmethod
    def _target_names(cls, value: Any) -> Any:
        return tuple(str(v) for v in value) if isinstance(value, (list, tuple)) else value

    @property
    def has_own_urls(self) -> bool:
        return True


class WeiboOptions(Tracking):
    """Weibo's mobile JSON API: real-time keyword search and user timelines, long texts and comments."""

    base_url: str = "https://m.weibo.cn"
    searches: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    max_pages: int = Field(default=2, ge=1)
    long_text: bool = True
    comments: bool = True
    max_comment_pages: int = Field(default=1, ge=1)

    @field_validator("users", mode="before")
    @classmethod
    def _user_ids(cls, value: Any) -> Any:
        return tuple(str(v) for v in value) if isinstance(value, (list, tuple)) else value

    @field_validator("base_url")
    @classmethod
    def _http_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"'{value}' is not an http(s) URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _something_to_watch(self) -> "WeiboOptions":
        if not self.searches and not self.users:
            raise ValueError("set searches (keywords) or users (uids) to watch")
        return self

    @property
    def has_own_urls(self) -> bool:
        return True


class FeedOptions(Strict):
    max_items: int = Field(default=200, ge=1)

    @property
    def has_own_urls(self) -> bool:
        return False


SPIDER_OPTIONS: dict[str, type[Strict]] = {"forum": ForumOptions, "comments": CommentsOptions,
                                           "weibo": WeiboOptions, "feed": FeedOptions}


class SourceConfig(Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    type: str
    start_urls: tuple[str, ...] = ()
    interval: Duration = timedelta(minutes=10)
    platform: str | None = None
    timezone: str | None = None
    obey_robots: bool = True
    # politeness and access: per-domain concurrency, minimum delay between requests, timeout, retries
    concurrency: int | None = Field(default=None, ge=1)
    delay: Duration | None = None
    timeout: Duration | None = None
    retries: int | None = Field(default=None, ge=0)
    # for logged-in pages: put secrets in the environment, e.g. cookies: "${WEIBO_COOKIE:-}"
    headers: dict[str, str] = {}
    cookies: str | dict[str, str] = {}
    proxies: tuple[str, ...] = ()
    # the page encoding when a site declares a wrong one (e.g. gb18030); default: declared or detected
    encoding: str | None = None
    options: ForumOptions | CommentsOptions | WeiboOptions | FeedOptions | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in SPIDER_OPTIONS:
            raise ValueError(f"unknown spider type '{value}' (known: {', '.join(SPIDER_OPTIONS)})")
        return value

    @field_validator("start_urls", "proxies")
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

    @field_validator("encoding")
    @classmethod
    def _codec(cls, value: str | None) -> str | None:
        import codecs

        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(f"unknown encoding '{value}'") from None
        return value

    @model_validator(mode="after")
    def _somewhere_to_start(self) -> "SourceConfig":
        # no options here means they were invalid, and that is reported already
        if self.options is not None and not self.start_urls and not self.options.has_own_urls:
            raise ValueError("give start_urls, or options that name what to watch "
                             "(boards, targets, searches or users)")
        return self

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
    # Unset (the default): the model's own labels, whose neutral band was fitted on its dev split
    # (see its DATACARD.md). Set both to label by the score instead: below negative_below negative,
    # above positive_above positive, else neutral.
    negative_below: float | None = Field(default=None, ge=0, le=1)
    positive_above: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> "SentimentConfig":
        if (self.negative_below is None) != (self.positive_above is None):
            raise ValueError("set both negative_below and positive_above, or neither (the model's calibrated labels)")
        if self.negative_below is not None and self.negative_below > self.positive_above:
            raise ValueError("negative_below must not exceed positive_above")
        return self


class NlpConfig(Strict):
    sentiment: SentimentConfig = SentimentConfig()
    user_dicts: tuple[Path, ...] = ()
    # where `brandmon nlp train` saves models that sentiment.model can name; the loader defaults it
    # to <state_dir>/models
    models_dir: Path | None = None


class HttpConfig(Strict):
    bind: str = "127.0.0.1:8787"
    public_url: str | None = None
    ack_secret: str | None = None
    ack_ttl: Duration = timedelta(hours=24)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class QuietHours(Strict):
    """A named interval in which notifications below the override severity wait; may cross midnight."""

    start: time
    end: time
    days: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = WEEKDAYS
    timezone: str | None = None

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock_time(cls, value: object) -> object:
        if isinstance(value, int):  # YAML 1.1 reads 22:00 unquoted as a base-60 integer
            value = f"{value // 60:02d}:{value % 60:02d}"
        if value == "24:00":
            return time.max
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return value if value is None else check_zone(value)


class MessageOptions(Strict):
    """Alert text: Chinese by default; titles are templates over {severity} {title} {brand} {rule} {id}."""

    title: str = "【{severity}】{title}"
    resolved_title: str = "【已恢复】{title}"
    max_keywords: int = Field(default=8, ge=0, le=30)
    max_examples: int = Field(default=3, ge=0, le=20)
    example_chars: int = Field(default=80, ge=20, le=500)

    @field_validator("title", "resolved_title")
    @classmethod
    def _known_fields(cls, value: str) -> str:
        try:
            value.format(severity="", title="", brand="", rule="", id="")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"bad template {value!r}: use only {{severity}} {{title}} {{brand}} {{rule}} {{id}}"
                             f" ({exc})") from None
        return value


class AlertingConfig(Strict):
    """The notification policy around the playbooks: grouping, muting, delivery and message options."""

    group_wait: Duration = timedelta(0)
    group_interval: Duration = timedelta(minutes=5)
    inhibit_from: Literal["warning", "critical"] | None = "critical"
    quiet_hours: dict[str, QuietHours] = {}
    quiet_hours_override: Literal["info", "warning", "critical"] = "critical"
    retries: int = Field(default=2, ge=0, le=10)
    retry_backoff: Duration = timedelta(seconds=1)
    fallback_channel: str | None = None
    channel_limits: dict[str, int] = {}
    pending_timeout: Duration = timedelta(minutes=5)
    kibana_url: str | None = None
    message: MessageOptions = MessageOptions()

    @field_validator("kibana_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"'{value}' is not an http(s) URL")
        return value


class DaemonConfig(Strict):
    """How `brandmon run` paces its work."""

    jitter: float = Field(default=0.1, ge=0, le=0.5)
    crawl_workers: int = Field(default=2, ge=1, le=16)
    nlp_workers: int = Field(default=1, ge=1, le=16)
    nlp_timeout: Duration = timedelta(minutes=5)
    tick_every: Duration = timedelta(seconds=15)
    shutdown_grace: Duration = timedelta(seconds=20)


class ReportSchedule(Strict):
    """One report the daemon sends on its own, at a local time of day (and weekday for weekly ones)."""

    period: Literal["daily", "weekly", "monthly"]
    at: time = time(9, 0)
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    brand: str | None = None
    send: tuple[str, ...] = Field(min_length=1)

    @field_validator("at", mode="before")
    @classmethod
    def _clock_time(cls, value: object) -> object:
        if isinstance(value, int):  # YAML 1.1 reads 09:00 unquoted as a base-60 integer
            value = f"{value // 60:02d}:{value % 60:02d}"
        return value

    @property
    def key(self) -> str:
        return f"{self.period}-{self.brand or 'all'}-{'+'.join(self.send)}"


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
    alerting: AlertingConfig = AlertingConfig()
    daemon: DaemonConfig = DaemonConfig()
    reports: tuple[ReportSchedule, ...] = ()

    @field_validator("alerting")
    @classmethod
    def _alerting_channels(cls, alerting: AlertingConfig, info: ValidationInfo) -> AlertingConfig:
        channels = info.data.get("channels") or {}
        for name in filter(None, (alerting.fallback_channel, *alerting.channel_limits)):
            if name not in channels:
                raise ValueError(f"unknown channel '{name}' (defined: {', '.join(channels) or 'none'})")
        return alerting

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

    @field_validator("reports")
    @classmethod
    def _reports_name_known_things(cls, reports: tuple[ReportSchedule, ...], info: ValidationInfo):
        brands = {b.name for b in info.data.get("brands") or ()}
        channels = info.data.get("channels") or {}
        for i, report in enumerate(reports):
            if report.brand is not None and brands and report.brand not in brands:
                raise ValueError(f"report {i + 1}: unknown brand '{report.brand}'")
            for channel in report.send:
                if channel not in channels:
                    raise ValueError(f"report {i + 1}: unknown channel '{channel}' "
                                     f"(defined: {', '.join(channels) or 'none'})")
        return reports

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
