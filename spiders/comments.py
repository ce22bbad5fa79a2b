"""Comment sections of watched targets — videos, articles, products — read newest first until known
comments show up (or oldest first, resuming where the last walk ended), via a JSON API or HTML."""

from __future__ import annotations

from monitor.config.model import CommentsOptions
from monitor.crawl.selectors import queries
from monitor.crawl.tracking import Visit
from spiders.threads import ThreadSpider


class CommentsSpider(ThreadSpider):
    name = "comments"
    posts_required = False  # a section nobody has commented on yet is empty, not broken

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        opts = self.options
        self.q["cursor"] = queries(opts.cursor, opts.format)
        self.q["end"] = queries(opts.end, opts.format)

    @property
    def options(self) -> CommentsOptions:
        return self.source.options

    @property
    def from_top(self) -> bool:
        return self.options.order != "oldest_first"

    @property
    def stop_at_known(self) -> bool:
        return self.options.order == "newest_first"

    def page_url(self, target: str, cursor: str = "", page: int = 1) -> str:
        opts = self.options
        return opts.url.format(base=opts.base_url or "", target=target, cursor=cursor, page=page)

    async def start(self):
        for target in self.options.targets:
            visit = self.threads.plan(target, self.page_url(target, self.options.start_cursor))
            if visit is not None:
                yield self.walk(visit)

    def next_url(self, page, response, visit: Visit, found: int) -> str | None:
        if self.q["end"] and page.raw(page.root, self.q["end"]):
            return None
        if self.q["cursor"]:
            cursor = page.value(page.root, self.q["cursor"])
            return self.page_url(visit.key, cursor) if cursor else None
        if "{page}" in self.options.url:
            return self.page_url(visit.key, page=visit.pages + 1) if found else None
        return super().next_url(page, response, visit, found)
