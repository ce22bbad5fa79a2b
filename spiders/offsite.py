"""Where a source's requests may go (redirects included): its own hosts, and the address ranges its config
opens. A redirect from a forum to another host, or to 169.254.169.254, is refused instead of being
fetched and stored under the forum's name.

Own hosts, as Scrapy's offsite convention has them: the hosts of the source's start URLs, base URL and
URL targets, and `allowed_hosts` (a name allows its subdomains). Addresses that are private, loopback,
link-local, reserved or multicast are refused unless one of the source's `allow_networks` (or the
crawler's BRANDMON_ALLOW_NETWORKS, for tests and the demo) holds them. Host names are resolved once per
crawl, off the reactor thread.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

log = logging.getLogger(__name__)


class HostGuard:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.extra_networks = [ipaddress.ip_network(n, strict=False)
                               for n in crawler.settings.getlist("BRANDMON_ALLOW_NETWORKS")]
        self._hosts: frozenset[str] | None = None
        self._networks: list | None = None
        self._resolved: dict[str, list] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request):
        host = (urlsplit(request.url).hostname or "").lower().rstrip(".")
        spider = self.crawler.spider
        if not host:
            self.refuse(request, "no host")
        if not self._on_own_host(spider, host):
            self.refuse(request, f"{host} is not one of the source's hosts (allowed_hosts)")
        for address in await self._addresses(host):
            if _internal(address) and not any(address in net for net in self._allowed_networks(spider)):
                self.refuse(request, f"{host} is {address}, a private or local address (allow_networks)")
        return None

    def refuse(self, request, reason: str):
        from spiders.base import REFUSED_STAT

        stats = self.crawler.stats
        stats.inc_value(REFUSED_STAT)
        if stats.get_value(REFUSED_STAT) == 1:
            log.warning("refused %s: %s (further refusals only counted)", request.url, reason)
        raise IgnoreRequest(f"refused: {reason}")

    def _on_own_host(self, spider, host: str) -> bool:
        if self._hosts is None:
            self._hosts = own_hosts(spider.source)
        return any(host == h or host.endswith("." + h) for h in self._hosts)

    def _allowed_networks(self, spider) -> list:
        if self._networks is None:
            self._networks = [ipaddress.ip_network(n, strict=False) for n in spider.source.allow_networks]
            self._networks += self.extra_networks
        return self._networks

    async def _addresses(self, host: str) -> list:
        if host not in self._resolved:
            try:
                self._resolved[host] = [ipaddress.ip_address(host)]
            except ValueError:
                self._resolved[host] = await maybe_deferred_to_future(deferToThread(_resolve, host))
        return self._resolved[host]


def own_hosts(source) -> frozenset[str]:
    """The hosts a source names itself; a request anywhere else needs `allowed_hosts`."""
    options = source.options
    urls = [*source.start_urls, getattr(options, "base_url", None) or ""]
    urls += [t for t in getattr(options, "targets", ()) if str(t).startswith(("http://", "https://"))]
    for name in ("url", "board_url", "thread_url", "stream_url", "sub_url"):
        template = getattr(options, name, None)
        if template and not template.startswith("{"):
            urls.append(template.split("{", 1)[0])
    hosts = {(urlsplit(u).hostname or "").lower() for u in urls}
    return frozenset(h for h in hosts | set(source.allowed_hosts) if h)


def _internal(address) -> bool:
    return (address.is_private or address.is_loopback or address.is_link_local or address.is_reserved
            or address.is_multicast or address.is_unspecified)


def _resolve(host: str) -> list:
    """Every address the name resolves to (one internal one is enough to refuse); none when it does not
    resolve: the download then fails as it would anyway."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
