"""Comment sections of watched targets — videos, articles, products — read newest first until known
comments show up (or oldest first, resuming where the last walk ended), via a JSON API or HTML."""

from __future__ import annotations

from dataclasses import replace

from monitor.config.model import CommentsOptions
from monitor.crawl.selectors import queries
from monitor.crawl.tracking import Visit
from monitor.mention import mention_id
from spiders.bvid import bv_to_aid, is_bvid
from spiders.posts import read_posts
from spiders.threads import ThreadSpider


class CommentsSpider(ThreadSpider):
    name = "comments"
    posts_required = False  # a section nobody has commented on yet is empty, not broken

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        opts = self.options
        self.q["cursor"] = queries(opts.cursor, opts.format)
        self.q["end"] = queries(opts.end, opts.format)
        if opts.sub_url:  # reply pages hold replies where the post list held posts
            inner = self.fields.nested or self.fields
            self.sub_fields = replace(inner, q={**inner.q, "post": queries(opts.sub_post, opts.format)}, nested=None)

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
        if not self.logged_in():
            return
        for target in self.options.targets:
            if self.options.convert_bv and is_bvid(target):
                target = str(bv_to_aid(target))
            visit = self.threads.plan(target, self.page_url(target, self.options.start_cursor))
            if visit is not None:
                yield self.walk(visit)

    def more_replies(self, posts, visit: Visit, fresh: set):
        """A new comment, or one whose reply count moved, with more replies than it showed inline."""
        if not self.options.sub_url:
            return
        for post in posts:
            total = self.count(post.replies) or 0
            if post.native_id in fresh and total > len(post.nested):
                yield self.sub_request(visit.key, post.native_id, 1, total, 0)

    def sub_request(self, target: str, root: str, page: int, total: int, read: int):
        opts = self.options
        url = opts.sub_url.format(base=opts.base_url or "", target=target, root=root, page=page)
        return self.request(url, self.parse_sub, cb_kwargs={"target": target, "root": root, "page": page,
                                                            "total": total, "read": read})

    def parse_sub(self, response, target: str, root: str, page: int, total: int, read: int):
        found_page = self.read(response)
        if found_page is None:
            return
        found = read_posts(found_page, found_page.root, self.sub_fields)
        self.skipped(found.skipped)
        for exc in found.broken:
            self.malformed_post(response.url, exc)
        self.page_ok()
        parent = mention_id(self.source.platform_name, root)
        for post in found.posts:
            try:
                mention = self.post_mention(post, response, target, self.thread_id(target), parent, "reply", None)
            except (ValueError, TypeError, AttributeError, OverflowError, UnicodeError, RecursionError) as exc:
                self.malformed_post(response.url, exc)
                continue
            if self.is_fresh(mention):
                yield mention
        read += len(found.posts) + found.skipped + len(found.broken)
        if found.posts and read < total and page < self.options.max_sub_pages:
            yield self.sub_request(target, root, page + 1, total, read)

    def next_url(self, page, response, visit: Visit, found: int) -> str | None:
        if self.q["end"] and page.raw(page.root, self.q["end"]):
            return None
        if self.q["cursor"]:
            cursor = page.value(page.root, self.q["cursor"])
            return self.page_url(visit.key, cursor) if cursor else None
        if "{page}" in self.options.url:
            return self.page_url(visit.key, page=visit.pages + 1) if found else None
        return super().next_url(page, response, visit, found)
