"""What every brandmon spider shares: its source, its memory of earlier crawls, time parsing, error and
block accounting, and sending on only what is new or changed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timezone, tzinfo
from zoneinfo import ZoneInfo

import scrapy
from scrapy import signals
from scrapy.utils.defer import deferred_from_coro

from monitor.config.model import SourceConfig, Tracking
from monitor.crawl.cookies import Account, CookiePool, pool_name
from monitor.crawl.frontier import request_failed
from monitor.crawl.numbers import CLAMPED, read_count
from monitor.crawl.sanitize import MAX_NAME, MAX_TEXT, MAX_TITLE, clean, safe_url
from monitor.crawl.state import CHANGED, NEW, SAME, CrawlState
from monitor.crawl.timeparse import read_time
from monitor.crawl.tracking import Schedule, ThreadBook
from monitor.mention import Author, Mention
from spiders.blocking import LOGIN_REASONS, body_block_reason
from spiders.source_settings import apply_source_settings, cookie_jar

ERRORS_STAT = "brandmon/errors"
NEW_STAT = "brandmon/new"
UPDATED_STAT = "brandmon/updated"
SKIPPED_STAT = "brandmon/skipped"
BLOCKED_STAT = "brandmon/blocked"
NEEDS_LOGIN_STAT = "brandmon/needs_login"  # why the platform wants a new login (the cookie pool has no session)
PAGES_STAT = "brandmon/pages"  # pages that held what they should (a list with threads, a thread with posts)
MALFORMED_STAT = "brandmon/malformed"  # posts skipped because a value in them could not be read
TIME_UNKNOWN_STAT = "brandmon/time_unknown"  # mentions stored with time_unknown (no readable, possible time)
CLAMPED_STAT = "brandmon/clamped"  # counts past 2^63-1, held at that bound
INVALID_STAT = "brandmon/invalid"  # counts such as "-5" or NaN, and links such as javascript:, dropped
CLEANED_STAT = "brandmon/cleaned"  # texts cut to size or stripped of escapes and direction overrides
REFUSED_STAT = "brandmon/refused"  # requests not sent: another host, or a private address
SKIP_STATS = {"empty": SKIPPED_STAT, "malformed": MALFORMED_STAT, "time_unknown": TIME_UNKNOWN_STAT,
              "clamped": CLAMPED_STAT, "invalid": INVALID_STAT, "cleaned": CLEANED_STAT, "refused": REFUSED_STAT}


class SourceSpider(scrapy.Spider):
    """A spider bound to one configured source.

    The daemon passes a SourceConfig and the state its last crawl left; `scrapy crawl TYPE -a config=FILE
    -a source=NAME` loads the source from a config file and crawls as if for the first time.
    """

    json_pages = False  # spiders reading JSON APIs ask for JSON

    def __init__(self, source: SourceConfig | str | None = None, config: str | None = None,
                 zone: str | None = None, state: dict | None = None, now: datetime | None = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(source, SourceConfig):
            source, zone = _source_from_file(config, source, self.name)
        self.source = source
        self.zone = ZoneInfo(source.timezone or zone or "Asia/Shanghai")
        self._now = now
        self.start_urls = list(source.start_urls)
        self.cookies = cookie_jar(source.cookies)
        self.crawl_state = CrawlState.load(state, self._schedule(), self.now)
        self.pool: CookiePool | None = None
        self.account: Account | None = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        apply_source_settings(crawler.settings, spider.source, spider.json_pages)
        crawler.signals.connect(spider._dropped, signal=signals.request_dropped)
        if getattr(spider.source.options, "login", None) is not None and not spider.cookies:  # own cookies: no pool
            spider._take_account(crawler.settings.get("BRANDMON_STATE_DIR") or "brandmon-data")
        return spider

    def _take_account(self, state_dir: str) -> None:
        """A platform that wants a session gets the pool's next account; its cookies go on every request."""
        self.pool = CookiePool(state_dir, pool_name(self.source))
        self.account = self.pool.pick(self.now)
        if self.account is not None:
            self.cookies = {**self.cookies, **self.account.jar()}

    def logged_in(self) -> bool:
        """False, and the crawl stops as needing login, when the platform wants a session and none is left."""
        if self.pool is None or self.account is not None:
            return True
        self.needs_login(f"no working account in the cookie pool {self.pool.path}", self.source.name)
        return False

    def needs_login(self, reason: str, url: str) -> None:
        """The session ended (login wall, expired-session answer): the account is set aside, the crawl stops.
        Said once, when the source turns to needing login (monitor/crawl/health.py), not at every crawl."""
        if self.pool is not None and self.account is not None:
            self.pool.set_aside(self.account.name, reason)
        if self.pool is not None:
            reason = f"{reason}; run: brandmon login {self.pool.platform}"
        self.crawler.stats.set_value(NEEDS_LOGIN_STAT, reason)
        self.block(f"needs login: {reason}", url)

    def _dropped(self, request, spider) -> None:
        """A redirect back to a page this crawl already asked for is a loop: the page is lost, count it."""
        if request.meta.get("redirect_urls"):
            self.crawler.stats.inc_value(ERRORS_STAT)
            self.logger.warning("redirect loop at %s (via %s)", request.url, " → ".join(request.meta["redirect_urls"]))

    @property
    def now(self) -> datetime:
        """The crawl's time: fixed by the caller (schedules stay consistent), else the wall clock."""
        return self._now or datetime.now(timezone.utc)

    @property
    def threads(self) -> ThreadBook:
        return self.crawl_state.threads

    def _schedule(self) -> Schedule:
        options = self.source.options
        tracking = options if isinstance(options, Tracking) else Tracking()
        return Schedule(first=tracking.recheck or self.source.interval, longest=tracking.recheck_max,
                        keep=tracking.track_for)

    # what a page says, checked before it becomes a mention
    def published(self, raw: object, where: str, zone: tzinfo | None = None) -> tuple[datetime, bool]:
        """The post's time (read in `zone`, the page's own, when given), or the crawl's time flagged unknown
        (counted; the first of a crawl is logged)."""
        when, why = read_time(raw, zone or self.zone, self.now)
        if when is not None:
            return when, False
        self._problem(TIME_UNKNOWN_STAT, "time %s (%r) at %s: stored with time_unknown", why, str(raw)[:60], where)
        return self.now, True

    def count(self, value: object) -> int | None:
        number, problem = read_count(value)
        if problem == CLAMPED:
            self._problem(CLAMPED_STAT, "count %r is past 2^63-1: held at that bound", str(value)[:40])
        elif problem:
            self._problem(INVALID_STAT, "count %r is not a count: left empty", str(value)[:40])
        return number

    def cleaned(self, value: str | None, limit: int = MAX_TEXT) -> str | None:
        text, changed = clean(value, limit)
        if changed:
            self.crawler.stats.inc_value(CLEANED_STAT)
        return text

    def link(self, url: str | None, fallback: str) -> str:
        """A mention's URL: the page's own link when it is http(s), else the page it was found on."""
        safe = safe_url(url)
        if url and safe is None:
            self._problem(INVALID_STAT, "link %r is not a web address: using %s", url[:60], fallback)
        return safe or fallback

    def author(self, author_id: object = None, name: str | None = None, followers: object = None) -> Author:
        ident = str(author_id) if isinstance(author_id, (str, int)) and not isinstance(author_id, bool) else None
        name = name if isinstance(name, str) else None
        return Author(id=self.cleaned(ident, MAX_NAME), name=self.cleaned(name, MAX_NAME),
                      followers=self.count(followers))

    def title(self, value: str | None) -> str | None:
        return self.cleaned(value, MAX_TITLE)

    def malformed_post(self, where: str, exc: BaseException) -> None:
        """One post that broke reading is skipped and counted; its siblings are kept."""
        self._problem(MALFORMED_STAT, "skipped a post at %s: %s: %s", where, type(exc).__name__, str(exc)[:100])

    def _problem(self, stat: str, message: str, *args) -> None:
        """Counted every time, logged the first time in a crawl (a broken template is one line, not thousands)."""
        stats = self.crawler.stats
        stats.inc_value(stat)
        if stats.get_value(stat) == 1:
            self.logger.warning("source %s: " + message + " (further ones only counted)", self.source.name, *args)

    def request(self, url: str, callback, errback=None, **kwargs) -> scrapy.Request:
        """Every request carries the source's cookies and lands failures in an errback that counts them."""
        return scrapy.Request(url, callback=callback, errback=errback or self.on_error, cookies=self.cookies,
                              **kwargs)

    def fresh(self, mentions: Iterable[Mention]) -> Iterator[Mention]:
        """Only mentions that are new, or whose text or engagement changed since they were last seen."""
        return (m for m in mentions if self.is_fresh(m))

    def is_fresh(self, mention: Mention) -> bool:
        """Remembers the mention and counts it as new or updated; False when it is as it was."""
        verdict = self.crawl_state.classify(mention)
        if verdict == NEW:
            self.crawler.stats.inc_value(NEW_STAT)
        elif verdict == CHANGED:
            self.crawler.stats.inc_value(UPDATED_STAT)
        return verdict != SAME

    def on_error(self, failure) -> None:
        """A failed page is logged and counted; the crawl goes on."""
        self.crawler.stats.inc_value(ERRORS_STAT)
        self.logger.warning("fetch failed for %s: %s", failure.request.url, failure.getErrorMessage())
        self._not_fetched(failure.request)

    def malformed(self, response, reason: str) -> None:
        self.crawler.stats.inc_value(ERRORS_STAT)
        self.logger.warning("skipped %s: %s", response.url, reason)
        self._not_fetched(response.request)

    def _not_fetched(self, request) -> None:
        """A shared frontier (monitor/crawl/frontier.py) must not remember a page that failed as seen."""
        self.crawler.signals.send_catch_log(request_failed, request=request)

    def skipped(self, count: int) -> None:
        """Posts without text (deleted, shielded by moderators): normal on forums, counted but not errors."""
        if count:
            self.crawler.stats.inc_value(SKIPPED_STAT, count)

    def page_ok(self) -> None:
        """A page held what it should: only these make a crawl a success (a 200 with garbage does not)."""
        self.crawler.stats.inc_value(PAGES_STAT)

    def nothing_found(self, response, what: str) -> None:
        """A page without what it should have is a captcha or login wall, or a changed template."""
        reason = body_block_reason(response)
        if reason in LOGIN_REASONS and self.pool is not None:
            self.needs_login(reason, response.url)
        elif reason:
            self.block(reason, response.url)
        self.malformed(response, what)

    def block(self, reason: str, url: str) -> None:
        """The site refuses us: stop this crawl at once, so the source backs off instead of digging its ban deeper."""
        stats = self.crawler.stats
        if stats.get_value(BLOCKED_STAT):
            return
        stats.set_value(BLOCKED_STAT, reason)
        log = self.logger.info if stats.get_value(NEEDS_LOGIN_STAT) else self.logger.warning
        log("source %s is blocked (%s at %s): stopping this crawl", self.source.name, reason, url)
        self._closing = deferred_from_coro(self.crawler.engine.close_spider_async(reason="blocked"))


def _source_from_file(config: str | None, name: str | None, spider_type: str) -> tuple[SourceConfig, str]:
    from monitor.config import load_settings

    if not config or not name:
        raise ValueError(f"run as: scrapy crawl {spider_type} -a config=CONFIG.yaml -a source=SOURCE_NAME")
    settings = load_settings(config).config
    try:
        source = settings.source(name)
    except StopIteration:
        raise ValueError(f"no source '{name}' in {config}") from None
    if source.type != spider_type:
        raise ValueError(f"source '{name}' is a '{source.type}' source: scrapy crawl {source.type} "
                         f"-a config={config} -a source={name}")
    return source, settings.timezone
