"""RSS 2.0 and Atom feeds: each entry is a post."""

from __future__ import annotations

import re

import scrapy
from w3lib.html import remove_tags, replace_entities

from monitor.mention import Author, Mention, mention_id
from spiders.base import SourceSpider

_SPACE = re.compile(r"\s+")


class FeedSpider(SourceSpider):
    name = "feed"

    async def start(self):
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse, errback=self.on_error)

    def parse(self, response):
        if not hasattr(response, "xpath"):
            return self.malformed(response, "not an XML feed")
        response.selector.remove_namespaces()
        entries = response.xpath("//item") or response.xpath("//entry")
        if not entries:
            return self.malformed(response, "no RSS items or Atom entries")
        for entry in entries[: self.source.options.max_items]:
            mention = self._mention(response, entry)
            if mention is not None:
                yield mention

    def _mention(self, response, entry) -> Mention | None:
        def first(*paths: str) -> str | None:
            for path in paths:
                value = entry.xpath(path).get()
                if value and value.strip():
                    return value.strip()
            return None

        link = first("link/@href", "link/text()") or response.url
        title = _plain(first("title/text()"))
        body = _plain(first("encoded/text()", "content/text()", "description/text()", "summary/text()"))
        text = body or title
        if not text:
            self.malformed(response, "an entry without text")
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


def _plain(html: str | None) -> str | None:
    if not html:
        return None
    text = _SPACE.sub(" ", replace_entities(remove_tags(html))).strip()
    return text or None
