"""Walking a thread's paged posts only as far as needed — the part forums and comment sections share.

A new thread is read from its first page; a changed one from the page where the last walk ended
(new replies come last); a newest-first comment section from the top until a known comment shows
up. Threads no list showed but whose re-check time has come are walked once discovery is done.
"""

from __future__ import annotations

from datetime import tzinfo

from scrapy import signals
from scrapy.exceptions import DontCloseSpider

from monitor.config.model import PageOptions
from monitor.crawl.selectors import queries
from monitor.crawl.timeparse import declared_zone
from monitor.crawl.tracking import Visit
from monitor.mention import Engagement, Mention, mention_id
from spiders.base import BLOCKED_STAT, SourceSpider
from spiders.extract import PageError, read_page
from spiders.posts import FieldSet, PostData, read_posts


class ThreadSpider(SourceSpider):
    posts_required = True  # a forum thread page always has posts; a comment section may have none yet

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        opts = self.options
        self.json_pages = opts.format == "json"
        self.fields = FieldSet.of(opts, opts.format, opts.nested)
        self.q = {name: queries(getattr(opts, name), opts.format) for name in ("title", "thread_next_page", "page_zone")}
        self.q.update({name: queries(getattr(opts, name), "json") for name in ("ok", "blocked")})
        self.q["wall"] = queries(opts.login.wall if opts.login else None, "json")
        self._rechecks_planned = False

    @property
    def options(self) -> PageOptions:
        return self.source.options

    @property
    def from_top(self) -> bool:
        """Walks start at the first page every time (newest-first sections, post streams), not where the last ended."""
        return False

    @property
    def stop_at_known(self) -> bool:
        """Newest-first sections end where comments seen before begin."""
        return False

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._plan_rechecks, signal=signals.spider_idle)
        return spider

    def _plan_rechecks(self) -> None:
        """Once the lists are read: walk the known threads they did not show whose time has come."""
        if self._rechecks_planned or self.crawler.stats.get_value(BLOCKED_STAT):
            return
        self._rechecks_planned = True
        visits = self.threads.due()
        for visit in visits:
            self.crawler.engine.crawl(self.walk(visit))
        if visits:
            raise DontCloseSpider

    # pages
    def read(self, response):
        """The page, or None when it is not what it should be (counted; a block page stops the crawl)."""
        try:
            page = read_page(response, self.options.format, self.options.unwrap_comments)
        except PageError as exc:
            self.nothing_found(response, str(exc))
            return None
        if self.q["blocked"] and page.raw(page.root, self.q["blocked"]) is True:
            self.block("the API answered with its block code", response.url)
            return None
        if self.q["wall"] and page.raw(page.root, self.q["wall"]) is True:
            self.needs_login(f"the platform answered that the session ended: {response.text[:120]}", response.url)
            return None
        if self.q["ok"] and page.raw(page.root, self.q["ok"]) is not True:
            self.malformed(response, f"the API reports an error: {response.text[:200]}")
            return None
        return page

    # walking a thread
    def walk(self, visit: Visit):
        return self.request(visit.url, self.parse_thread, errback=self.walk_failed, cb_kwargs={"visit": visit})

    def parse_thread(self, response, visit: Visit):
        visit.pages += 1
        page = self.read(response)
        if page is None:
            self.threads.failed(visit)
            return
        found = read_posts(page, page.root, self.fields)
        self.skipped(found.skipped)
        kept = {p.native_id for p in found.posts} | {c.native_id for p in found.posts for c in p.nested}
        self.crawl_state.remember_skipped(self.source.platform_name,
                                          [i for i in found.skipped_ids if i not in kept])
        for exc in found.broken:
            self.malformed_post(response.url, exc)
        posts = found.posts
        if not posts and self.posts_required and not (found.skipped or found.broken):
            self.nothing_found(response, "no posts found")
            self.threads.failed(visit)
            return
        self.page_ok()
        title = page.value(page.root, self.q["title"]) or visit.title
        first_page = visit.pages == 1 and visit.from_start
        mentions = self.thread_mentions(posts, response, visit, title, first_page, self.page_zone(page))
        known = any(self.crawl_state.has_seen(m.id) for m in mentions)
        fresh = set()
        for mention in self.fresh(mentions):
            visit.new += 1
            fresh.add(mention.native_id)
            yield mention
        yield from self.more_replies(posts, visit, fresh)
        follow = self.next_request(page, response, visit, known, len(posts))
        if follow is not None:
            yield follow
        else:
            self.threads.visited(visit, response.url, resume_from_start=self.from_top)

    def more_replies(self, posts: list[PostData], visit: Visit, fresh: set):
        """Requests for replies a page did not show inline (comment sections with a sub_url)."""
        return ()

    def walk_failed(self, failure) -> None:
        self.on_error(failure)
        visit = failure.request.cb_kwargs.get("visit")
        if visit is not None:
            self.threads.failed(visit)

    def next_request(self, page, response, visit: Visit, known: bool, found: int):
        """The next page of this walk, or None where it ends: no next page, the page limit, or (newest
        first) a page that reached comments seen before."""
        if visit.pages >= self.options.max_thread_pages or (self.stop_at_known and known):
            return None
        url = self.next_url(page, response, visit, found)
        if not url:
            return None
        return self.request(url, self.parse_thread, errback=self.walk_failed, cb_kwargs={"visit": visit})

    def next_url(self, page, response, visit: Visit, found: int) -> str | None:
        link = page.value(page.root, self.q["thread_next_page"])
        return response.urljoin(link) if link else None

    def page_zone(self, page) -> tzinfo | None:
        """The zone the page states for its times, unless the source names one: a board's setting beats
        the daemon's default zone (a European phpBB read as Asia/Shanghai would be 7 hours off)."""
        if self.source.timezone or not self.q["page_zone"]:
            return None
        return declared_zone(page.value(page.root, self.q["page_zone"]))

    # mentions
    def thread_mentions(self, posts: list[PostData], response, visit: Visit, title: str | None,
                        first_page: bool, zone: tzinfo | None = None) -> list[Mention]:
        opts = self.options
        thread_id = self.thread_id(visit.key)
        out = []
        for i, post in enumerate(posts):
            first = first_page and i == 0 and opts.content_type == "post"
            kind = "post" if first else ("reply" if opts.content_type == "post" else opts.content_type)
            try:
                parent = self._id_of(post.parent) if post.parent else (None if first else thread_id)
                mention = self.post_mention(post, response, visit.key, thread_id, parent, kind,
                                            title if first else None, zone)
                if first:
                    self.thread_counts(mention, visit)
            except (ValueError, TypeError, AttributeError, OverflowError, UnicodeError, RecursionError) as exc:
                self.malformed_post(response.url, exc)
                continue
            out.append(mention)
            for child in post.nested:
                try:
                    out.append(self.post_mention(child, response, visit.key, thread_id, mention.id, "reply", None,
                                                 zone))
                except (ValueError, TypeError, AttributeError, OverflowError, UnicodeError, RecursionError) as exc:
                    self.malformed_post(response.url, exc)
        return out

    def post_mention(self, post: PostData, response, thread: str, thread_id: str, parent: str | None,
                     kind: str, title: str | None, zone: tzinfo | None = None) -> Mention:
        platform = self.source.platform_name
        text = self.cleaned(post.text)
        if not text:
            raise ValueError("no text left once control characters are stripped")
        native = self.cleaned(post.native_id, 100)
        published, unknown = self.published(post.time, response.url, zone)
        return Mention(
            id=mention_id(platform, native, response.url, text),
            platform=platform,
            source=self.source.name,
            url=self.link(self.post_link(post, response, thread), response.url),
            text=text,
            title=self.title(title),
            published_at=published,
            time_unknown=unknown,
            crawled_at=self.now,
            content_type=kind,
            native_id=native,
            thread_id=thread_id,
            parent_id=parent,
            author=self.author(post.author_id, post.author, post.followers),
            engagement=Engagement(likes=self.count(post.likes), comments=self.count(post.replies),
                                  reposts=self.count(post.reposts), views=self.count(post.views)),
            ip_location=self.cleaned(post.ip_location, 100),
            status=self.cleaned(post.status, 40),
        )

    def thread_counts(self, mention: Mention, visit: Visit) -> None:
        """The list's reply and view counts belong to the thread, kept on its first post (Discuz prints them)."""
        replies, views = visit.counts
        e = mention.engagement
        e.comments = e.comments if e.comments is not None else self.count(replies)
        e.views = self.count(views)

    def post_link(self, post: PostData, response, thread: str) -> str:
        template = self.options.post_url
        if template and post.native_id:
            return template.format(base=self.options.base_url or "", thread=thread, id=post.native_id)
        return f"{response.url}#{post.native_id}" if post.native_id else response.url

    def thread_id(self, key: str) -> str:
        return f"{self.source.platform_name}:thread:{key}"

    def _id_of(self, native: str) -> str:
        return mention_id(self.source.platform_name, native)
