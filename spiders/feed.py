"""RSS 2.0 and Atom feeds: each entry is a post; entries seen before (and unchanged) are not sent again."""

from __future__ import annotations

from monitor.crawl.selectors import queries
from monitor.mention import Mention, mention_id
from spiders.base import SourceSpider
from spiders.extract import html_to_text

_ERRORS = (ValueError, TypeError, AttributeError, OverflowError, UnicodeError, RecursionError)


class FeedSpider(SourceSpider):
    name = "feed"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        options = self.source.options
        self.exclude = queries(getattr(options, "text_exclude", None), "html")

    async def start(self):
        for url in self.start_urls:
            yield self.request(url, self.parse)

    def parse(self, response):
        if not hasattr(response, "xpath"):
            self.nothing_found(response, "not an XML feed")
            return
        response.selector.remove_namespaces()
        entries = response.xpath("//item") or response.xpath("//entry")
        if not entries:
            self.nothing_found(response, "no RSS items or Atom entries")
            return
        self.page_ok()
        for entry in entries[: self.source.options.max_items]:
            try:
                mention = self._mention(response, entry)
            except _ERRORS as exc:
                self.malformed_post(response.url, exc)
                continue
            if mention is not None and self.is_fresh(mention):
                yield mention

    def _mention(self, response, entry) -> Mention | None:
        def first(*paths: str) -> str | None:
            for path in paths:
                value = entry.xpath(path).get()
                if value and value.strip():
                    return value.strip()
            return None

        link = first("link/@href", "link/text()")
        title = self.title(html_to_text(first("title/text()")))
        body = self.cleaned(html_to_text(first("encoded/text()", "content/text()", "description/text()",
                                                "summary/text()"), self.exclude))
        text = body or title
        if not text:
            self.skipped(1)
            return None
        native = self.cleaned(first("guid/text()", "id/text()"), 300)
        platform = self.source.platform_name
        url = self.link(response.urljoin(link) if link else None, response.url)
        raw_time = first("pubDate/text()", "published/text()", "updated/text()", "date/text()")
        published, unknown = self.published(raw_time, url)
        return Mention(
            id=mention_id(platform, native, url, text),
            platform=platform,
            source=self.source.name,
            url=url,
            text=text,
            title=title,
            published_at=published,
            time_unknown=unknown,
            crawled_at=self.now,
            native_id=native,
            author=self.author(name=first("author/name/text()", "creator/text()", "author/text()")),
        )
