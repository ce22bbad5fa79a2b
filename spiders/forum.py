"""Forums: boards' thread lists → thread pages → posts, as a preset (Discuz!, phpBB, Tieba, Discourse) or
the source's own selectors describe them.

List pages are read newest-bumped first; the next list page is read only while this one showed
something new or changed, so a quiet forum costs one request per board.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urldefrag, urlencode

from monitor.config.model import ForumOptions
from monitor.crawl.selectors import queries
from monitor.crawl.tracking import Visit
from monitor.mention import mention_id
from spiders.threads import ThreadSpider

STREAM_CHUNK = 20  # Discourse serves at most this many posts per posts.json request


@dataclass(frozen=True)
class ThreadRef:
    """A thread as a list page shows it."""

    key: str
    url: str
    mark: str | None = None
    title: str | None = None
    counts: tuple[str | None, str | None] = (None, None)


class ForumSpider(ThreadSpider):
    name = "forum"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        opts = self.options
        for name in ("threads", "thread_links", "thread_id", "thread_title", "thread_mark", "thread_replies",
                     "thread_views", "next_page", "stream"):
            self.q[name] = queries(getattr(opts, name), opts.format)

    @property
    def options(self) -> ForumOptions:
        return self.source.options

    def list_urls(self) -> list[str]:
        opts = self.options
        boards = [opts.board_url.format(base=opts.base_url or "", board=quote(board, safe="/"))
                  for board in opts.boards]
        return [*self.start_urls, *boards]

    async def start(self):
        if not self.logged_in():
            return
        for url in self.list_urls():
            yield self.request(url, self.parse_list, cb_kwargs={"page_no": 1})

    def parse_list(self, response, page_no: int):
        page = self.read(response)
        if page is None:
            return
        rows = page.nodes(page.root, self.q["threads"]) if self.q["threads"] else [page.root]
        refs = [ref for row in rows for ref in self.thread_refs(page, row, response)]
        if not refs:
            self.nothing_found(response, "no threads found")
            return
        self.page_ok()
        changed = 0
        for ref in refs:
            visit = self.threads.plan(ref.key, ref.url, ref.mark, ref.title)
            if visit is not None:
                visit.counts = ref.counts
                changed += 1
                yield self.walk(visit)
        link = page.value(page.root, self.q["next_page"])
        if link and changed and page_no < self.options.max_list_pages:
            yield self.request(response.urljoin(link), self.parse_list, cb_kwargs={"page_no": page_no + 1})

    def thread_refs(self, page, row, response) -> list[ThreadRef]:
        """One thread per row when rows are configured; otherwise every thread link on the page."""
        if not self.q["threads"]:
            urls = (response.urljoin(link) for link in page.values(row, self.q["thread_links"]))
            return [ThreadRef(urldefrag(url).url, url) for url in urls]
        thread = page.value(row, self.q["thread_id"])
        link = page.value(row, self.q["thread_links"])
        if thread and self.options.thread_url:
            url = self.options.thread_url.format(base=self.options.base_url or "", thread=thread)
        elif link:
            url = response.urljoin(link)
        else:
            return []
        return [ThreadRef(thread or urldefrag(url).url, url, page.value(row, self.q["thread_mark"]),
                          page.value(row, self.q["thread_title"]),
                          (page.value(row, self.q["thread_replies"]), page.value(row, self.q["thread_views"])))]

    @property
    def from_top(self) -> bool:
        return bool(self.q["stream"])  # the first page lists the whole stream of post ids

    def next_request(self, page, response, visit: Visit, known: bool, found: int):
        if not self.q["stream"]:
            return super().next_request(page, response, visit, known, found)
        if visit.pages == 1:
            platform = self.source.platform_name
            ids = page.raw(page.root, self.q["stream"]) or []
            visit.pending = [str(i) for i in ids if not self.crawl_state.has_seen(mention_id(platform, str(i)))]
        batch, visit.pending = visit.pending[:STREAM_CHUNK], visit.pending[STREAM_CHUNK:]
        if not batch or visit.pages >= self.options.max_thread_pages:
            return None
        opts = self.options
        url = opts.stream_url.format(base=opts.base_url or "", thread=visit.key)
        query = urlencode([(opts.stream_param, post_id) for post_id in batch])
        return self.request(f"{url}?{query}", self.parse_thread, errback=self.walk_failed, cb_kwargs={"visit": visit})
