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
    # names (of name and aliases) that are also everyday words (小米 the grain, 苹果 the fruit): such a name
    # counts only when the words around it say it means the brand (monitor/nlp/brands.py)
    ambiguous: tuple[str, ...] = ()
    brand_cues: tuple[str, ...] = ()  # words that say an ambiguous name means the brand, added to the built-in ones
    other_cues: tuple[str, ...] = ()  # words that say it means something else (斤, 熬粥, 果园 …)
    # what an ambiguous name means when nothing around it says: `other` (a bare 苹果很好 is the fruit more
    # often than the company) or `brand` (小米涨5%: the company, today, far more often than the grain); one
    # value for all of the brand's ambiguous names, or per name ({小米: brand, 米粉: other}; unnamed: other)
    ambiguous_default: Literal["brand", "other"] | dict[str, Literal["brand", "other"]] = "other"
    # optional boolean query a mention must also satisfy, e.g. '(手机 OR 充电) NOT 星河湾' (monitor/nlp/query.py)
    query: str | None = None
    # the brand's own accounts per platform (author ids or names): their replies answer a complaint
    official_accounts: dict[str, tuple[str, ...]] = {}
    # a watched competitor: matched, scored and stored like a brand, its crises noted, alerts only when asked
    competitor: bool = False
    alerts: bool = True

    @field_validator("official_accounts", mode="before")
    @classmethod
    def _account_lists(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (tuple(str(x) for x in v) if isinstance(v, (list, tuple)) else (str(v),))
                    for k, v in value.items()}
        return value

    @field_validator("query")
    @classmethod
    def _parsable(cls, value: str | None) -> str | None:
        from monitor.nlp.query import parse_query

        if value is not None:
            parse_query(value)  # a QuerySyntaxError is a ValueError naming the column
        return value

    @model_validator(mode="after")
    def _ambiguous_are_names(self) -> "BrandConfig":
        from monitor.nlp.normalize import fold

        names = {fold(t) for t in self.terms}
        unknown = [a for a in self.ambiguous if fold(a) not in names]
        if unknown:
            raise ValueError(f"ambiguous names {unknown} are neither the name nor an alias")
        if isinstance(self.ambiguous_default, dict):
            listed = {fold(a) for a in self.ambiguous}
            stray = [a for a in self.ambiguous_default if fold(a) not in listed]
            if stray:
                raise ValueError(f"ambiguous_default names {stray} that are not in ambiguous")
        return self

    def default_sense(self, name: str) -> str:
        """What the ambiguous name (folded) means when nothing around it says: "brand" or "other"."""
        if isinstance(self.ambiguous_default, str):
            return self.ambiguous_default
        from monitor.nlp.normalize import fold

        return next((v for k, v in self.ambiguous_default.items() if fold(k) == name), "other")

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
    followers: Queries | None = None  # the author's follower count, where the platform prints it by the post
    reposts: Queries | None = None
    views: Queries | None = None
    status: Queries | None = None  # where a complaint stands (黑猫投诉: 处理中 / 已完成)
    skip: Queries | None = None  # true (JSON) or found (HTML) for posts that are no one's words: system notices


class NestedFields(PostFields):
    """Replies nested in a post (Tieba's 楼中楼, Bilibili's child replies); unset fields reuse the post's."""

    text: Queries | None = None


class Tracking(Strict):
    """Known threads are re-checked soon while active, then less and less often, and dropped when quiet."""

    recheck: Duration | None = None  # the first re-check interval; default: the source's interval
    recheck_max: Duration = timedelta(days=1)
    track_for: Duration = timedelta(days=7)


def _base_template(value: str) -> str:
    """A platform page: an http(s) URL, or one built on the source's base_url ({base})."""
    from monitor.crawl.selectors import check_template

    check_template(value, ("base",))
    if not value.startswith(("http://", "https://", "{base}")):
        raise ValueError(f"'{value}' is not an http(s) URL (or {{base}}/…)")
    return value


class SignOptions(Strict):
    """Requests signed by the platform's own JavaScript, run in a real chromium (monitor/crawl/signer.py)."""

    page: str  # the platform page whose script signs: {base} is the source's base_url
    # a JS function (url, method, body) => ({headers: {...}, params: {...}}), may return a promise
    script: str = Field(min_length=1)
    timeout: Duration = timedelta(seconds=20)

    @field_validator("page")
    @classmethod
    def _page_template(cls, value: str) -> str:
        return _base_template(value)


class LoginOptions(Strict):
    """How `brandmon login` signs an account in, and how a crawl knows the session has ended."""

    page: str  # the login page: {base} is the source's base_url
    qr: str | None = None  # JS expression: the QR code's payload (a URL), printed as a QR code in the terminal
    qr_image: str | None = None  # CSS selector of the QR image, printed in half blocks when there is no payload
    done: str | None = None  # JS expression, true once the operator has scanned and confirmed
    done_cookie: str | None = None  # or: logged in once this cookie appears or changes (xiaohongshu: web_session)
    cookie_domains: tuple[str, ...] = ()  # the cookies to keep: these URLs' (default: the page's and base_url's)
    # JMESPath on the platform's JSON answers: true when the session expired or a login wall stands in the way
    wall: str | None = None
    timeout: Duration = timedelta(minutes=3)

    @field_validator("page")
    @classmethod
    def _page_template(cls, value: str) -> str:
        return _base_template(value)

    @field_validator("wall")
    @classmethod
    def _jmespath(cls, value: str | None) -> str | None:
        from monitor.crawl.selectors import check_queries

        if value is not None:
            check_queries(value, "json")
        return value

    @model_validator(mode="after")
    def _shows_a_code(self) -> "LoginOptions":
        if not self.qr and not self.qr_image:
            raise ValueError("set qr (a JS expression giving the QR payload) or qr_image (the QR's selector)")
        if not self.done and not self.done_cookie:
            raise ValueError("set done (a JS expression, true once logged in) or done_cookie (a session cookie)")
        return self


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
    page_zone: Queries | None = None  # where a page states its times' zone ("All times are UTC+01:00")
    ok: str | None = None
    blocked: str | None = None
    # Polite by default: a platform preset's pace when the source sets no `delay` / `concurrency` of its own
    # (Scrapy jitters the delay 0.5–1.5×; AutoThrottle slows down further when the platform answers slowly)
    polite_delay: Duration | None = None
    polite_concurrency: int | None = Field(default=None, ge=1)
    sign: SignOptions | None = None  # the platform signs requests in its own JS
    login: LoginOptions | None = None  # the platform wants a logged-in session: cookies from the cookie pool

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
        return (*PostFields.model_fields, "title", "thread_next_page", "page_zone")

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
    thread_replies: Queries | None = None  # the list's reply and view counts, kept on the thread's first post
    thread_views: Queries | None = None
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
    # Replies past those shown inline (Bilibili shows 3 of a comment's `replies`): their own pages, read when
    # the comment is new or its reply count moved. {root} is the comment's id, {page} counts from 1.
    sub_url: str | None = None
    sub_post: Queries | None = None
    max_sub_pages: int = Field(default=5, ge=1)
    convert_bv: bool = False  # targets may be Bilibili BV ids, turned into the numeric aid the API wants

    @model_validator(mode="after")
    def _pages_are_reachable(self) -> "CommentPages":
        if "{target}" not in self.url:
            raise ValueError("url must contain {target}")
        if "{cursor}" in self.url and not self.cursor:
            raise ValueError("url pages by {cursor}: set cursor, the query that gives the next one")
        if "{page}" in self.url and self.order == "oldest_first":
            raise ValueError("url pages by {page}: that needs order newest_first or ranked (read from page 1)")
        if self.sub_url and not self.sub_post:
            raise ValueError("sub_url pages replies: set sub_post, where they are on that page")
        return self

    def query_fields(self) -> tuple[str, ...]:
        return (*super().query_fields(), "cursor", "end", "sub_post")

    def templates(self) -> dict[str, tuple[str, ...]]:
        return {**super().templates(), "url": ("base", "target", "cursor", "page"),
                "sub_url": ("base", "target", "root", "page")}


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
    text_exclude: Queries | None = None  # CSS on an entry's HTML: parts to leave out (quotes, "来自…客户端" tails)

    @model_validator(mode="after")
    def _check_exclude(self) -> "FeedOptions":
        from monitor.crawl.selectors import check_queries

        check_queries(self.text_exclude, "html")
        return self

    @property
    def has_own_urls(self) -> bool:
        return False


class SocialOptions(CommentPages):
    """A platform's JSON search and creator feeds, newest first until known posts. Presets: xiaohongshu,
    douyin, zhihu, kuaishou, toutiao (monitor/crawl/presets/social/); each documents its endpoints."""

    spider_type: ClassVar[str] = "social"

    url: str = "{target}"  # unused: searches and creators have their own templates
    search_url: str | None = None  # {base}, {keyword} (URL-quoted), {cursor}, {page}
    creator_url: str | None = None  # {base}, {creator}, {cursor}, {page}
    keywords: tuple[str, ...] = ()
    creators: tuple[str, ...] = ()
    content_type: Literal["post", "comment", "reply"] = "post"
    max_thread_pages: int = Field(default=2, ge=1)
    status_names: dict[str, str] = {}  # the platform's status codes as PR staff read them (黑猫投诉: 4 → 处理中)
    polite_delay: Duration | None = timedelta(seconds=5)
    polite_concurrency: int | None = Field(default=1, ge=1)

    @field_validator("keywords", "creators", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        return tuple(str(v) for v in value) if isinstance(value, (list, tuple)) else value

    @model_validator(mode="after")
    def _something_to_watch(self) -> "SocialOptions":
        if not self.keywords and not self.creators:
            raise ValueError("set keywords (or creators) to watch")
        if self.keywords and not self.search_url:
            raise ValueError("keywords need a search_url (or a preset that has one)")
        if self.creators and not self.creator_url:
            raise ValueError("creators need a creator_url (this preset has none)")
        return self

    def templates(self) -> dict[str, tuple[str, ...]]:
        return {**super().templates(), "search_url": ("base", "keyword", "cursor", "page"),
                "creator_url": ("base", "creator", "cursor", "page")}

    @property
    def has_own_urls(self) -> bool:
        return True


class ComplaintsOptions(SocialOptions):
    """Complaint platforms searched for the brand; each complaint keeps its status. Preset: heimao."""

    spider_type: ClassVar[str] = "complaints"


SPIDER_OPTIONS: dict[str, type[Strict]] = {"forum": ForumOptions, "comments": CommentsOptions,
                                           "weibo": WeiboOptions, "feed": FeedOptions,
                                           "social": SocialOptions, "complaints": ComplaintsOptions}


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
    # where requests may go: the source's own hosts (its URLs, base_url, URL targets) and these (a name
    # allows its subdomains, as Scrapy's allowed_domains); private, loopback and link-local addresses only
    # inside these networks (e.g. "10.1.0.0/16" for an intranet forum)
    allowed_hosts: tuple[str, ...] = ()
    allow_networks: tuple[str, ...] = ()
    options: ForumOptions | CommentsOptions | WeiboOptions | FeedOptions | SocialOptions | ComplaintsOptions | None = None

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

    @field_validator("allow_networks")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import ipaddress

        for net in value:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise ValueError(f"'{net}' is not a network (e.g. 10.0.0.0/8 or 127.0.0.1/32)") from None
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(h.strip().lower().lstrip(".") for h in value if h.strip())

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
    # bulk requests in flight at once per write (as Beats' `worker`, parallel_bulk's `thread_count`): 2 lets a
    # node index on two cores while the writer encodes the next chunk; 1 sends one request after another
    bulk_concurrency: int = Field(default=2, ge=1, le=8)


class RetentionConfig(Strict):
    """How long data is kept (absent: forever). Raw mentions go first; the hourly rollups that seasonal
    baselines and reports read can be kept for years (both stores)."""

    mentions: Duration | None = None
    rollups: Duration | None = None
    every: Duration = timedelta(hours=1)  # how often the daemon prunes


class StoreConfig(Strict):
    backend: Literal["embedded", "elasticsearch"] = "embedded"
    path: Path | None = None
    elasticsearch: ElasticConfig | None = None
    retention: RetentionConfig = RetentionConfig()

    @model_validator(mode="after")
    def _es_needs_url(self) -> "StoreConfig":
        if self.backend == "elasticsearch" and self.elasticsearch is None:
            raise ValueError("backend 'elasticsearch' needs an 'elasticsearch: {url: ...}' section")
        return self


class FrontierConfig(Strict):
    """A crawl frontier in Redis shared by the crawl workers of several daemons (monitor/crawl/frontier.py)."""

    redis_url: str = Field(pattern=r"^(redis|rediss|unix)://")
    key_prefix: str = Field(default="brandmon", pattern=r"^[A-Za-z0-9_.-]+$")
    # a fetched page is not fetched again by any worker for this long (at most half the source's interval)
    seen_ttl: Duration = Field(default=timedelta(minutes=10), ge=timedelta(seconds=1))


class CrawlConfig(Strict):
    frontier: FrontierConfig | None = None  # absent: each daemon crawls on its own, no shared frontier


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


class CategoriesConfig(Strict):
    """Complaint categories (monitor/nlp/categories.py): built-in 质量, 安全, 服务/售后, 物流, 价格/退款, 虚假宣传,
    隐私/数据, 食品安全; `terms` adds terms to one (a new name adds a category), `only` keeps a subset."""

    terms: dict[str, tuple[str, ...]] = {}
    only: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _known(self) -> "CategoriesConfig":
        from monitor.nlp.categories import Categorizer

        Categorizer(self.terms, self.only)  # a ValueError names the unknown categories
        return self


class NlpConfig(Strict):
    sentiment: SentimentConfig = SentimentConfig()
    categories: CategoriesConfig = CategoriesConfig()
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
    retry_max_backoff: Duration = timedelta(minutes=1)
    give_up_after: Duration = timedelta(hours=4)
    fallback_channel: str | None = None
    channel_limits: dict[str, int] = {}
    channel_keywords: dict[str, str] = {}
    pending_timeout: Duration = timedelta(minutes=5)
    # one incident per rule and brand, or per brand: a later finding of another rule joins the open one
    incident_per: Literal["rule", "brand"] = "rule"
    # an open incident whose count grows this many times since its last notice, or whose severity rises,
    # notifies again from its playbook's first step (at most once per renotify_interval)
    renotify_growth: float | None = Field(default=3.0, gt=1)
    renotify_interval: Duration = timedelta(minutes=30)
    # a finding for an incident that resolved itself (went quiet) less than this ago reopens it: a crisis
    # that pauses for a few hours is still one incident; its steps already sent are not sent again
    reopen_within: Duration = timedelta(hours=6)
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
    # the queue in front of NLP and the store: a batch that fails this many times for a reason of its
    # own (NLP raised on it, the store refused it) goes to <state_dir>/queue/dead-letter.jsonl
    queue_attempts: int = Field(default=5, ge=1, le=100)
    queue_retry: Duration = timedelta(seconds=30)  # pause after a failed attempt, doubling each time
    # /healthz fails when the state directory's disk has less free space than this
    min_free_disk_mb: int = Field(default=100, ge=0)
    # several daemons may share one store: one alerting leader at a time holds this lease (renewed 4× per lease)
    leader_lease: Duration = Field(default=timedelta(seconds=20), ge=timedelta(seconds=2))


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


class SlaTier(Strict):
    """How soon a negative mention must be answered; the first tier that matches a mention applies."""

    within: Duration
    severity: Literal["info", "warning", "critical"] = "warning"
    platforms: tuple[str, ...] = ()  # empty: every platform
    min_followers: int | None = Field(default=None, ge=0)  # an influencer's complaint
    content_types: tuple[Literal["post", "comment", "reply"], ...] = ()


class ReplyConfig(Strict):
    """The reply queue: negative mentions the brand has not answered, and how long it may take."""

    sla: tuple[SlaTier, ...] = (SlaTier(within=timedelta(minutes=30), severity="critical", min_followers=10000),
                                SlaTier(within=timedelta(hours=2), severity="warning"))
    lookback: Duration = timedelta(days=7)  # older unanswered mentions leave the queue
    escalate: bool = True  # a breach opens an incident that escalates through the severity's playbook
    due_soon: float = Field(default=0.75, gt=0, lt=1)  # share of the SLA after which an item is "due soon"


class Config(Strict):
    timezone: str = "Asia/Shanghai"
    state_dir: Path = Path("brandmon-data")
    store: StoreConfig = StoreConfig()
    brands: tuple[BrandConfig, ...] = Field(min_length=1)
    sources: tuple[SourceConfig, ...] = ()
    crawl: CrawlConfig = CrawlConfig()
    nlp: NlpConfig = NlpConfig()
    channels: dict[str, str | tuple[str, ...]] = {}
    rules_dir: Path = Path("rules")
    evaluate_every: Duration = timedelta(minutes=1)
    http: HttpConfig = HttpConfig()
    alerting: AlertingConfig = AlertingConfig()
    daemon: DaemonConfig = DaemonConfig()
    reports: tuple[ReportSchedule, ...] = ()
    reply: ReplyConfig = ReplyConfig()
    language: Literal["zh", "en"] | None = None  # the CLI's language; default: the locale (zh_* → Chinese)

    @field_validator("alerting")
    @classmethod
    def _alerting_channels(cls, alerting: AlertingConfig, info: ValidationInfo) -> AlertingConfig:
        channels = info.data.get("channels") or {}
        for name in filter(None, (alerting.fallback_channel, *alerting.channel_limits, *alerting.channel_keywords)):
            if name not in channels:
                raise ValueError(f"unknown channel '{name}' (defined: {', '.join(channels) or 'none'})")
        return alerting

    @field_validator("channels")
    @classmethod
    def _channel_names(cls, channels: dict) -> dict:
        for name in channels:
            if "#" in name:
                raise ValueError(f"channel name '{name}' must not contain '#' (it separates a channel from its URLs)")
        return channels

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_zone(value)

    @field_validator("brands")
    @classmethod
    def _unique_brands(cls, brands: tuple[BrandConfig, ...]) -> tuple[BrandConfig, ...]:
        """Competitors that are not brands themselves are watched too: collected, scored, never alerting."""
        _unique([b.name for b in brands], "brand")
        names = {b.name for b in brands}
        watched = []
        for competitor in (c for b in brands for c in b.competitors):
            if competitor not in names:
                names.add(competitor)
                watched.append(BrandConfig(name=competitor, competitor=True, alerts=False))
        return (*brands, *watched)

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

    @property
    def own_brands(self) -> tuple[BrandConfig, ...]:
        """The brands the team speaks for, without the competitors added only to be watched."""
        return tuple(b for b in self.brands if not b.competitor)

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
