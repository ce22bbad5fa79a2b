"""Social platforms (Xiaohongshu, Douyin, Zhihu, …) and complaint platforms (黑猫投诉) through their JSON
feeds: keyword searches and creators' posts, read newest first until known posts, every crawl.

A preset is data (monitor/crawl/presets/social/, presets/complaints/): the feed URLs and JMESPath fields of
the comments machinery. Every item of a feed is a post of its own; a feed is no thread."""

from __future__ import annotations

from urllib.parse import quote

from monitor.config.model import SocialOptions
from monitor.crawl.tracking import Visit
from spiders.comments import CommentsSpider

SEARCH, CREATOR = "search:", "creator:"


class SocialSpider(CommentsSpider):
    name = "social"

    @property
    def options(self) -> SocialOptions:
        return self.source.options

    async def start(self):
        if not self.logged_in():
            return
        for keyword in self.options.keywords:
            yield self.walk(self._feed(SEARCH + keyword))
        for creator in self.options.creators:
            yield self.walk(self._feed(CREATOR + creator))

    def _feed(self, key: str) -> Visit:
        url = self.page_url(key, self.options.start_cursor)
        return Visit(key, url, url, "new")

    def _plan_rechecks(self) -> None:
        """Feeds are read whole every crawl; there are no threads to come back to."""

    def page_url(self, target: str, cursor: str = "", page: int = 1) -> str:
        opts = self.options
        if target.startswith(SEARCH):
            return opts.search_url.format(base=opts.base_url or "", keyword=quote(target[len(SEARCH):], safe=""),
                                          cursor=cursor, page=page)
        return opts.creator_url.format(base=opts.base_url or "", creator=quote(target[len(CREATOR):], safe=""),
                                       cursor=cursor, page=page)

    def next_url(self, page, response, visit: Visit, found: int) -> str | None:
        """The feed's own way of paging: its template's {cursor}, else {page}, else a next link (Zhihu)."""
        if self.q["end"] and page.raw(page.root, self.q["end"]):
            return None
        template = self.options.search_url if visit.key.startswith(SEARCH) else self.options.creator_url
        if "{cursor}" in template:
            cursor = page.value(page.root, self.q["cursor"]) if self.q["cursor"] else None
            return self.page_url(visit.key, cursor) if cursor else None
        if "{page}" in template:
            return self.page_url(visit.key, page=visit.pages + 1) if found else None
        link = page.value(page.root, self.q["thread_next_page"])
        return response.urljoin(link) if link else None

    def thread_mentions(self, posts, response, visit: Visit, title, first_page, zone=None):
        out = []
        for post in posts:
            try:
                native = post.native_id
                own = self._id_of(native) if native else None
                parent = self._id_of(post.parent) if post.parent else None
                mention = self.post_mention(post, response, visit.key, parent or own, parent,
                                            "repost" if parent else "post", None, zone)
            except (ValueError, TypeError, AttributeError, OverflowError, UnicodeError, RecursionError) as exc:
                self.malformed_post(response.url, exc)
                continue
            out.append(mention)
            for child in post.nested:
                try:
                    out.append(self.post_mention(child, response, visit.key, mention.thread_id or mention.id,
                                                 mention.id, "comment", None, zone))
                except (ValueError, TypeError, AttributeError, OverflowError, UnicodeError, RecursionError) as exc:
                    self.malformed_post(response.url, exc)
        return out


    def post_mention(self, post, *args, **kwargs):
        mention = super().post_mention(post, *args, **kwargs)
        if mention.status is not None:
            mention.status = self.options.status_names.get(mention.status, mention.status)
        return mention


class ComplaintsSpider(SocialSpider):
    name = "complaints"
