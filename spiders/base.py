"""What every brandmon spider shares: its source config, time parsing, error counting."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import scrapy
from parsel import Selector, SelectorList

from monitor.config.model import SourceConfig
from monitor.crawl.timeparse import parse_time

ERRORS_STAT = "brandmon/errors"


class SourceSpider(scrapy.Spider):
    """A spider bound to one configured source.

    The daemon passes a SourceConfig; `scrapy crawl NAME -a config=FILE -a source=NAME` loads it.
    """

    def __init__(self, source: SourceConfig | str | None = None, config: str | None = None,
                 zone: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(source, SourceConfig):
            source, zone = _source_from_file(config, source, self.name)
        self.source = source
        self.zone = ZoneInfo(source.timezone or zone or "Asia/Shanghai")
        self.start_urls = list(source.start_urls)

    @property
    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def parse_time(self, text: str | None) -> datetime | None:
        return parse_time(text, self.zone, self.now)

    def on_error(self, failure) -> None:
        """A failed page is logged and counted; the crawl goes on."""
        self.crawler.stats.inc_value(ERRORS_STAT)
        self.logger.warning("fetch failed for %s: %s", failure.request.url, failure.getErrorMessage())

    def malformed(self, response, reason: str) -> None:
        self.crawler.stats.inc_value(ERRORS_STAT)
        self.logger.warning("skipped %s: %s", response.url, reason)


def _source_from_file(config: str | None, name: str | None, spider_type: str) -> tuple[SourceConfig, str]:
    from monitor.config import load_settings

    if not config or not name:
        raise ValueError(f"run as: scrapy crawl {spider_type} -a config=CONFIG.yaml -a source=SOURCE_NAME")
    settings = load_settings(config).config
    return settings.source(name), settings.timezone


def select(node: Selector | SelectorList, query: str) -> SelectorList:
    """'xpath:' selects by XPath, anything else is CSS."""
    if query.startswith("xpath:"):
        return node.xpath(query[len("xpath:"):])
    return node.css(query)


def select_text(node: Selector, query: str | None) -> str | None:
    """The text of the first match: strings as selected, elements as their whole visible text."""
    if not query:
        return None
    found = select(node, query)
    if not found:
        return None
    if _selects_strings(query):
        value = found.get()
        return value.strip() if value else None
    parts = found[0].xpath(".//text()[not(ancestor::script) and not(ancestor::style)]").getall()
    text = "\n".join(p.strip() for p in parts if p.strip())
    return text or None


def select_all(node: Selector, query: str | None) -> list[str]:
    if not query:
        return []
    return [v.strip() for v in select(node, query).getall() if v and v.strip()]


def _selects_strings(query: str) -> bool:
    return "::text" in query or "::attr" in query or "/@" in query or "text()" in query
