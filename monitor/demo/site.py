"""A local demo site on 127.0.0.1: a forum, a news page with comments and an RSS feed.

`burst = True` publishes the crisis: a thread, an article and feed items full of angry posts.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

from monitor.demo.content import (BURST_ARTICLE, BURST_FEED_ITEMS, BURST_THREAD, FEED_ITEMS, FORUM_THREADS,
                                  NEWS_ARTICLES, Thread)

ZONE = ZoneInfo("Asia/Shanghai")
THREADS_PER_PAGE = 5
POSTS_PER_PAGE = 6


class DemoSite:
    def __init__(self, started: datetime | None = None) -> None:
        self.started = started or datetime.now(timezone.utc)
        self.burst = False
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site._serve(self)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-site", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "DemoSite":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # content
    def threads(self) -> list[Thread]:
        return ([BURST_THREAD] if self.burst else []) + list(reversed(FORUM_THREADS))

    def articles(self) -> list[Thread]:
        return ([BURST_ARTICLE] if self.burst else []) + list(reversed(NEWS_ARTICLES))

    def feed_items(self) -> list[Thread]:
        return (list(reversed(BURST_FEED_ITEMS)) if self.burst else []) + list(reversed(FEED_ITEMS))

    def published(self, minutes_ago: int) -> datetime:
        return self.started - timedelta(minutes=minutes_ago)

    def local_time(self, minutes_ago: int) -> str:
        return self.published(minutes_ago).astimezone(ZONE).strftime("%Y-%m-%d %H:%M")

    # routing
    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        parsed = urlparse(request.path)
        query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        page = int(query.get("page", "1") or 1)
        parts = [p for p in parsed.path.split("/") if p]
        routes = {
            ("robots.txt",): lambda: ("text/plain", "User-agent: *\nAllow: /\n"),
            ("forum",): lambda: ("text/html", self._forum_list(page)),
            ("news",): lambda: ("text/html", self._news_list()),
            ("feed.xml",): lambda: ("application/rss+xml", self._feed()),
        }
        body = None
        if tuple(parts) in routes:
            content_type, body = routes[tuple(parts)]()
        elif len(parts) == 3 and parts[:2] == ["forum", "thread"]:
            content_type, body = "text/html", self._thread_page(parts[2], page)
        elif len(parts) == 3 and parts[:2] == ["news", "article"]:
            content_type, body = "text/html", self._article(parts[2])
        if body is None:
            request.send_error(404)
            return
        data = body.encode("utf-8")
        request.send_response(200)
        request.send_header("Content-Type", f"{content_type}; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    # pages
    def _page(self, title: str, body: str) -> str:
        return (f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>{escape(title)}</title>"
                f"</head><body>{body}</body></html>")

    def _forum_list(self, page: int) -> str:
        threads = self.threads()
        chunk = threads[(page - 1) * THREADS_PER_PAGE: page * THREADS_PER_PAGE]
        rows = "".join(f"<li class='thread'><a class='title' href='/forum/thread/{t.id}'>{escape(t.title)}</a>"
                       f" <span class='replies'>{len(t.posts)}</span></li>" for t in chunk)
        more = len(threads) > page * THREADS_PER_PAGE
        nav = f"<a class='next' href='/forum?page={page + 1}'>下一页</a>" if more else ""
        return self._page("数码生活论坛", f"<h1>数码生活论坛</h1><ul class='threads'>{rows}</ul>{nav}")

    def _find(self, threads: list[Thread], ident: str) -> Thread | None:
        return next((t for t in threads if str(t.id) == ident), None)

    def _thread_page(self, ident: str, page: int) -> str | None:
        thread = self._find(self.threads(), ident)
        if thread is None:
            return None
        chunk = thread.posts[(page - 1) * POSTS_PER_PAGE: page * POSTS_PER_PAGE]
        posts = "".join(
            f"<div class='post' data-pid='{thread.id}-{(page - 1) * POSTS_PER_PAGE + i + 1}'>"
            f"<span class='author'>{escape(p.author)}</span>"
            f"<span class='time'>{self.local_time(p.minutes_ago)}</span>"
            f"<div class='content'>{escape(p.text)}</div></div>" for i, p in enumerate(chunk))
        more = len(thread.posts) > page * POSTS_PER_PAGE
        nav = f"<a class='next' href='/forum/thread/{thread.id}?page={page + 1}'>下一页</a>" if more else ""
        return self._page(thread.title, f"<h1 class='subject'>{escape(thread.title)}</h1>{posts}{nav}")

    def _news_list(self) -> str:
        rows = "".join(f"<li><a class='headline' href='/news/article/{a.id}'>{escape(a.title)}</a></li>"
                       for a in self.articles())
        return self._page("今日新闻", f"<h1>今日新闻</h1><ul>{rows}</ul>")

    def _article(self, ident: str) -> str | None:
        article = self._find(self.articles(), ident)
        if article is None:
            return None
        comments = "".join(
            f"<li class='comment' id='c{article.id}-{i}'><b class='user'>{escape(c.author)}</b>"
            f"<time datetime='{self.published(c.minutes_ago).isoformat()}'>{self.local_time(c.minutes_ago)}</time>"
            f"<p>{escape(c.text)}</p></li>" for i, c in enumerate(article.posts, 1))
        return self._page(article.title, f"<article><h1>{escape(article.title)}</h1><p>正文略。</p></article>"
                                         f"<section class='comments'><h2>网友评论</h2><ul>{comments}</ul></section>")

    def _feed(self) -> str:
        items = "".join(
            f"<item><title>{escape(t.title)}</title><link>{self.url}/feed/item/{t.id}</link>"
            f"<guid isPermaLink='false'>feed-{t.id}</guid><author>{escape(t.posts[0].author)}</author>"
            f"<pubDate>{format_datetime(self.published(t.posts[0].minutes_ago))}</pubDate>"
            f"<description>{escape(t.posts[0].text)}</description></item>" for t in self.feed_items())
        return ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>科技消费快讯</title>"
                f"<link>{self.url}/</link><description>demo</description>{items}</channel></rss>")
