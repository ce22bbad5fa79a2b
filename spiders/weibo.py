"""Weibo through its mobile JSON API (/api/container/getIndex): real-time keyword search and user
timelines, read newest first until known posts; full texts of long posts (/statuses/extend); and the
comments of posts whose comment count moved, re-checked on the decaying schedule like any thread."""

from __future__ import annotations

import re
from functools import cached_property
from urllib.parse import quote

from monitor.config.model import CommentPages, WeiboOptions
from monitor.crawl.selectors import compile_jmespath
from monitor.mention import Engagement, Mention, mention_id
from spiders.comments import CommentsSpider
from spiders.extract import PageError, html_to_text, read_page

MBLOGS = "[data.cards[].mblog, data.cards[].card_group[].mblog][]"  # timeline cards and search card groups
_REGION = re.compile(r"发布于\s*(\S+)")


class WeiboSpider(CommentsSpider):
    name = "weibo"

    @cached_property
    def options(self) -> CommentPages:
        """How comments are read: the `weibo` comments preset, against this source's base URL."""
        weibo = self.weibo
        return CommentPages.model_validate({"preset": "weibo", "base_url": weibo.base_url,
                                            "max_thread_pages": weibo.max_comment_pages})

    @property
    def weibo(self) -> WeiboOptions:
        return self.source.options

    async def start(self):
        for keyword in self.weibo.searches:
            yield self.timeline_request(("search", keyword), 1)
        for uid in self.weibo.users:
            yield self.timeline_request(("user", uid), 1)

    def timeline_request(self, feed: tuple[str, str], page_no: int):
        kind, value = feed
        base = self.weibo.base_url
        if kind == "search":  # type=61: real-time, newest first
            container = quote(f"100103type=61&q={value}&t=0", safe="")
            url = f"{base}/api/container/getIndex?containerid={container}&page_type=searchall&page={page_no}"
        else:
            url = f"{base}/api/container/getIndex?containerid=107603{value}&page={page_no}"
        return self.request(url, self.parse_timeline, cb_kwargs={"feed": feed, "page_no": page_no})

    def parse_timeline(self, response, feed: tuple[str, str], page_no: int):
        page = self.read(response)
        if page is None:
            return
        try:
            blogs = [b for b in compile_jmespath(MBLOGS).search(page.root) or [] if isinstance(b, dict)]
        except (TypeError, ValueError, AttributeError):  # cards that are not objects: not a timeline
            blogs = []
        if not blogs:
            if isinstance(page.root, dict) and page.root.get("ok") == 0:  # "这里还没有内容": nothing matched yet
                self.logger.info("no posts for %s %s", *feed)
            else:
                self.nothing_found(response, "no cards with posts")
            return
        self.page_ok()
        known = False
        for blog in blogs:
            original = blog.get("retweeted_status")
            for item in (blog, original) if isinstance(original, dict) else (blog,):
                try:
                    mention = self.blog_mention(item)
                except (ValueError, TypeError, AttributeError, KeyError, OverflowError, UnicodeError,
                        RecursionError) as exc:
                    self.malformed_post(response.url, exc)
                    continue
                if mention is None:
                    self.skipped(1)
                    continue
                known = known or self.crawl_state.has_seen(mention.id)
                if self.is_fresh(mention):
                    yield self.with_long_text(item, mention)
                yield from self.track_comments(item, mention)
        if not known and page_no < self.weibo.max_pages:
            yield self.timeline_request(feed, page_no + 1)

    def blog_mention(self, blog: dict) -> Mention | None:
        """The post, None when it has no text or id; wrong types in it raise (the caller skips it alone)."""
        text = self.cleaned(html_to_text(_string(blog.get("text"))))
        native = _ident(blog.get("id")) or _ident(blog.get("mid"))
        if not text or not native:
            return None
        user = blog.get("user") or {}
        if not isinstance(user, dict):
            raise TypeError(f"user is a {type(user).__name__}, not an object")
        platform = self.source.platform_name
        region = _REGION.search(_string(blog.get("region_name")) or "")
        original = blog.get("retweeted_status") or {}
        original_id = (_ident(original.get("id")) or _ident(original.get("mid"))) if isinstance(original, dict) else None
        # A repost points at what it reposts, so the whole storm clusters into one story.
        root = mention_id(platform, original_id or native)
        published, unknown = self.published(blog.get("created_at"), f"weibo {native}")
        return Mention(
            id=mention_id(platform, native),
            platform=platform,
            source=self.source.name,
            url=f"{self.weibo.base_url}/detail/{native}",
            text=text,
            published_at=published,
            time_unknown=unknown,
            crawled_at=self.now,
            content_type="repost" if original_id else "post",
            native_id=native,
            parent_id=root if original_id else None,
            thread_id=root,
            author=self.author(user.get("id"), user.get("screen_name"), user.get("followers_count")),
            engagement=Engagement(likes=self.count(blog.get("attitudes_count")),
                                  comments=self.count(blog.get("comments_count")),
                                  reposts=self.count(blog.get("reposts_count"))),
            ip_location=self.cleaned(region.group(1), 100) if region else None,
        )

    def with_long_text(self, blog: dict, mention: Mention):
        """Long posts arrive cut short ("…全文"): fetch the whole text, or send the short one if that fails."""
        if not (blog.get("isLongText") and self.weibo.long_text):
            return mention
        return self.request(f"{self.weibo.base_url}/statuses/extend?id={mention.native_id}", self.parse_long_text,
                            errback=self.long_text_failed, cb_kwargs={"mention": mention})

    def parse_long_text(self, response, mention: Mention):
        try:
            data = read_page(response, "json").root
        except PageError as exc:
            self.malformed(response, str(exc))
            return mention
        body = data if isinstance(data, dict) else None
        if body is not None and isinstance(body.get("data"), dict):  # newer answers wrap it in "data"
            body = body["data"]
        full = self.cleaned(html_to_text(_string(body.get("longTextContent")))) if isinstance(body, dict) else None
        if full:
            mention.text = full
        else:
            self.malformed(response, "no longTextContent")
        return mention

    def long_text_failed(self, failure):
        self.on_error(failure)
        return failure.request.cb_kwargs["mention"]

    def track_comments(self, blog: dict, mention: Mention):
        """Walk a post's comments when it is new or its comment count moved (the count is the thread's mark)."""
        count = self.count(blog.get("comments_count")) or 0
        if not self.weibo.comments or not count:
            return
        visit = self.threads.plan(mention.native_id, self.page_url(mention.native_id), mark=str(count))
        if visit is not None:
            yield self.walk(visit)

    def thread_id(self, key: str) -> str:
        """A comment's thread is the post it comments on."""
        return mention_id(self.source.platform_name, key)


def _string(value) -> str | None:
    return value if isinstance(value, str) else None


def _ident(value) -> str | None:
    """Ids arrive as numbers or strings; anything else (an object, a float) is no id."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    return str(value)[:100] or None
