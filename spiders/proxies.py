"""Sending a source's requests through its proxies in turn (round robin); off when it has none."""

from __future__ import annotations

from itertools import cycle

from scrapy.exceptions import NotConfigured


class ProxyRotation:
    def __init__(self, proxies: list[str]) -> None:
        self._next = cycle(proxies)

    @classmethod
    def from_crawler(cls, crawler):
        proxies = crawler.settings.getlist("BRANDMON_PROXIES")
        if not proxies:
            raise NotConfigured  # no message: Scrapy then mentions it at debug level only
        return cls(proxies)

    def process_request(self, request):
        request.meta.setdefault("proxy", next(self._next))
