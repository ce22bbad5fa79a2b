"""Signs each request of a source whose platform signs in its own JavaScript (options `sign:`), through the
process's shared browser signer, off the reactor thread. A request that cannot be signed is dropped and
counted as a failed fetch: unsigned, the platform would only refuse it."""

from __future__ import annotations

from urllib.parse import urlencode

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from monitor.crawl.signer import SignError, signer_for

SIGNED = "brandmon_signed"


class SigningMiddleware:
    def __init__(self, crawler, signer) -> None:
        self.crawler, self.signer = crawler, signer

    @classmethod
    def from_crawler(cls, crawler):
        spider = crawler.spider
        sign = getattr(getattr(getattr(spider, "source", None), "options", None), "sign", None)
        if sign is None:
            raise NotConfigured  # no message: Scrapy would log one for every unsigned source's crawl
        page = sign.page.format(base=spider.source.options.base_url or "")
        return cls(crawler, signer_for(page, sign.script, sign.timeout.total_seconds()))

    async def process_request(self, request):
        if request.meta.get(SIGNED) or request.meta.get("dont_obey_robotstxt"):  # robots.txt goes unsigned
            return None
        body = request.body.decode("utf-8", "replace")
        try:
            signature = await maybe_deferred_to_future(deferToThread(self.signer.sign, request.url,
                                                                     request.method, body))
        except SignError as exc:  # the request's errback counts and logs it as a failed fetch
            raise IgnoreRequest(f"not signed: {exc}") from None
        url = request.url
        if signature.params:
            url += ("&" if "?" in url else "?") + urlencode(signature.params)
        headers = request.headers.copy()
        headers.update(signature.headers)
        # the signed copy goes back through the scheduler: the duplicate filter must let it pass
        return request.replace(url=url, headers=headers, meta={**request.meta, SIGNED: True}, dont_filter=True)
