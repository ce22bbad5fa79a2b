"""RSS 2.0 and Atom feeds: each entry is a post; entries seen before (and unchanged) are not sent again."""

from __future__ import annotations

from monitor.mention import Author, Mention, mention_id
from spiders.base import SourceSpider
from spiders.extract import html_to_text


class FeedSpider(SourceSpider):
    name = "feed"

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
        mentions = (self._mention(response, entry) for entry in entries[: self.source.options.max_items])
        yield from self.fresh(m for m in mentions if m is not None)

    def _mention(self, response, entry) -> Mention | None:
        def first(*paths: str) -> str | None:
            for path in paths:
                value = entry.xpath(path).get()
                if value and value.strip():
                    return value.strip()
            return None

        link = first("link/@href", "link/text()") or response.url
        title = html_to_text(first("title/text()"))
        body = html_to_text(first("encoded/text()", "content/text()", "description/text()", "summary/text()"))
        text = body or title
        if not text:
            self.skipped(1)
            return None
        native = first("guid/text()", "id/text()")
        platform = self.source.platform_name
        published = self.parse_time(first("pubDate/text()", "published/text()", "updated/text()", "date/text()"))
        return Mention(
            id=mention_id(platform, native, link, text),
            platform=platform,
            source=self.source.name,
            url=response.urljoin(link),
            text=text,
            title=title,
            published_at=published or self.now,
            crawled_at=self.now,
            native_id=native,
            author=Author(name=first("author/name/text()", "creator/text()", "author/text()")),
        )

