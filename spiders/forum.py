"""Config-driven forum spider: thread list pages → thread pages → posts."""

from __future__ import annotations

from urllib.parse import urldefrag

import scrapy

from monitor.config.model import ForumOptions
from monitor.mention import Author, Mention, mention_id
from spiders.base import SourceSpider, select_all, select_text, select


class ForumSpider(SourceSpider):
    name = "forum"

    @property
    def options(self) -> ForumOptions:
        return self.source.options

    async def start(self):
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse_list, errback=self.on_error, cb_kwargs={"page": 1})

    def parse_list(self, response, page: int):
        if not hasattr(response, "css"):
            return self.malformed(response, "not an HTML page")
        links = select_all(response, self.options.thread_links)
        if not links:
            self.malformed(response, "no thread links found")
        for link in links:
            yield response.follow(link, callback=self.parse_thread, errback=self.on_error, cb_kwargs={"page": 1})
        next_page = select_all(response, self.options.next_page)
        if next_page and page < self.options.max_list_pages:
            yield response.follow(next_page[0], callback=self.parse_list, errback=self.on_error,
                                  cb_kwargs={"page": page + 1})

    def parse_thread(self, response, page: int, thread_root: str | None = None):
        if not hasattr(response, "css"):
            return self.malformed(response, "not an HTML page")
        opts = self.options
        thread_url = urldefrag(response.url).url if page == 1 else None
        thread_id = mention_id(self.source.platform_name, url=response.url) if page == 1 else thread_root
        title = select_text(response, opts.title)
        posts = select(response, opts.post)
        if not posts:
            self.malformed(response, "no posts found")
        for floor, post in enumerate(posts):
            mention = self._mention(response, post, title, thread_id, thread_url,
                                    first=(page == 1 and floor == 0))
            if mention is not None:
                yield mention
        next_page = select_all(response, opts.thread_next_page)
        if next_page and page < opts.max_thread_pages:
            yield response.follow(next_page[0], callback=self.parse_thread, errback=self.on_error,
                                  cb_kwargs={"page": page + 1, "thread_root": thread_id})

    def _mention(self, response, post, title, thread_id, thread_url, first: bool) -> Mention | None:
        opts = self.options
        text = select_text(post, opts.text)
        if not text:
            self.malformed(response, "a post without text")
            return None
        native = select_text(post, opts.post_id)
        platform = self.source.platform_name
        published = self.parse_time(select_text(post, opts.time))
        is_post = first and opts.content_type == "post"
        return Mention(
            id=mention_id(platform, native, response.url, text),
            platform=platform,
            source=self.source.name,
            url=f"{response.url}#{native}" if native else response.url,
            text=text,
            title=title if is_post else None,
            published_at=published or self.now,
            crawled_at=self.now,
            content_type="post" if is_post else ("reply" if opts.content_type == "post" else opts.content_type),
            native_id=native,
            thread_id=thread_id,
            parent_id=None if is_post else thread_id,
            author=Author(name=select_text(post, opts.author)),
        )
