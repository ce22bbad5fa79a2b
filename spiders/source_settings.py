"""A source's own crawl settings (robots.txt, concurrency, delay, timeout, retries, headers, proxies, encoding)
laid over the project's, the same way for `scrapy crawl` and for the daemon."""

from __future__ import annotations

from scrapy.settings import Settings

from monitor.config.model import SourceConfig

JSON_ACCEPT = "application/json, text/plain, */*"


def apply_source_settings(settings: Settings, source: SourceConfig, json_pages: bool) -> None:
    """Called while the crawler's settings are still open (from the spider's from_crawler)."""
    chosen: dict = {"ROBOTSTXT_OBEY": source.obey_robots}
    polite_delay = getattr(source.options, "polite_delay", None)  # a platform preset's own pace
    polite_concurrency = getattr(source.options, "polite_concurrency", None)
    if source.concurrency is not None or polite_concurrency is not None:
        chosen["CONCURRENT_REQUESTS_PER_DOMAIN"] = source.concurrency or polite_concurrency
    if source.delay is not None or polite_delay is not None:
        chosen["DOWNLOAD_DELAY"] = (source.delay if source.delay is not None else polite_delay).total_seconds()
    if source.timeout is not None:
        chosen["DOWNLOAD_TIMEOUT"] = source.timeout.total_seconds()
    if source.retries is not None:
        chosen["RETRY_TIMES"] = source.retries
    if source.proxies:
        chosen["BRANDMON_PROXIES"] = list(source.proxies)
    if source.encoding:
        chosen["BRANDMON_ENCODING"] = source.encoding
    headers = dict(settings.getdict("DEFAULT_REQUEST_HEADERS"))
    if json_pages:
        headers["Accept"] = JSON_ACCEPT
    headers.update(source.headers)
    chosen["DEFAULT_REQUEST_HEADERS"] = headers
    settings.setdict(chosen, priority="spider")


def cookie_jar(cookies: str | dict[str, str]) -> dict[str, str]:
    """Cookies as a mapping; a string is a Cookie header copied from a browser ("a=1; b=2")."""
    if isinstance(cookies, dict):
        return dict(cookies)
    pairs = (part.strip().partition("=") for part in cookies.split(";"))
    return {name.strip(): value.strip() for name, sep, value in pairs if sep and name.strip()}
