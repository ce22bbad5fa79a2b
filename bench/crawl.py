"""Crawl rate: the project's forum spider against a plain Scrapy spider doing the same work on the same pages.

A Discuz!-shaped board (list pages → threads of two pages each, ~25 KB a page, as the default template
prints them) is served from a separate process on 127.0.0.1. `project` is the forum spider with the
discuz preset, run by the daemon's CrawlRunner from an empty state: it discovers every thread through
the lists, parses every post (times to UTC, counts, text cleaning, URL checks) and remembers it.
`baseline` is the spider a Scrapy user would write for this board: the same CSS selectors through
response.css, list pages followed for thread links and next pages, thread pages for posts and their
next pages, one dict per post (raw time string, text joined from text nodes). Both run with the same
Scrapy settings (no AutoThrottle, no robots.txt, 16 concurrent requests), alternating which goes first,
after one untimed warm-up round of each (imports, caches); rates are medians over the rounds and both
must find every page and post. Runs in about a minute on two cores.

    python bench/crawl.py [--threads 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import scrapy  # noqa: E402

from monitor.config.model import ForumOptions, SourceConfig  # noqa: E402
from monitor.crawl.runner import CrawlRunner  # noqa: E402

THREADS_PER_LIST = 20
POSTS_PER_PAGE = 10
THREAD_PAGES = 2
SAME_SETTINGS = {"AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": False, "CONCURRENT_REQUESTS": 16,
                 "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "DOWNLOAD_DELAY": 0, "LOG_LEVEL": "ERROR"}
TEMPLATE_WEIGHT = "<div class='pls favatar'><p><em><a href='home.php?mod=spacecp&amp;ac=usergroup'>新手上路</a></em></p></div>" * 8


def list_path(page: int) -> str:
    return "/forum.php?mod=forumdisplay&fid=2" + (f"&page={page}" if page > 1 else "")


def thread_path(tid: int, page: int) -> str:
    return f"/forum.php?mod=viewthread&tid={tid}" + (f"&page={page}" if page > 1 else "")


def board(threads: int) -> dict[str, bytes]:
    """Every page of the board, by path."""
    lists = -(-threads // THREADS_PER_LIST)
    pages = {}
    for n in range(1, lists + 1):
        tids = range((n - 1) * THREADS_PER_LIST + 1, min(n * THREADS_PER_LIST, threads) + 1)
        rows = "".join(
            f"<tbody id='normalthread_{t}'><tr><th class='common'><a href='{thread_path(t, 1)}' class='s xst'>"
            f"星河手机 讨论帖 {t}</a></th><td class='num'><a class='xi2'>{POSTS_PER_PAGE * THREAD_PAGES - 1}</a>"
            f"<em>100</em></td></tr></tbody>" for t in tids)
        nxt = f"<div class='pg'><a href='{list_path(n + 1)}' class='nxt'>下一页</a></div>" if n < lists else ""
        pages[list_path(n)] = _html(f"<table id='threadlisttableid'>{rows}</table>{nxt}")
    for t in range(1, threads + 1):
        for p in range(1, THREAD_PAGES + 1):
            posts = "".join(_post(t * 1000 + (p - 1) * POSTS_PER_PAGE + i) for i in range(POSTS_PER_PAGE))
            nxt = f"<div class='pg'><a href='{thread_path(t, p + 1)}' class='nxt'>下一页</a></div>" if p < THREAD_PAGES else ""
            pages[thread_path(t, p)] = _html(f"<h1 class='ts'><span id='thread_subject'>星河手机 讨论帖 {t}</span></h1>"
                                             f"<div id='postlist'>{posts}</div>{nxt}")
    return pages


def _post(pid: int) -> str:
    return (f"<div id='post_{pid}'><table><tr><td class='pls'><div class='authi'><a href='home.php?mod=space&amp;"
            f"uid={pid % 97}' class='xw1'>用户{pid % 97}</a></div>{TEMPLATE_WEIGHT}</td><td class='plc'><div class='pti'>"
            f"<em id='authorposton{pid}'>发表于 2025-11-20 10:{pid % 60:02d}</em></div><table><tr>"
            f"<td class='t_f' id='postmessage_{pid}'>星河X5 第 {pid} 楼：充电发热的问题大家怎么看？<br />售后说要寄回检测。</td>"
            f"</tr></table></td></tr></table></div>")


def _html(body: str) -> bytes:
    return (f"<!DOCTYPE html><html><head><meta http-equiv='Content-Type' content='text/html; charset=utf-8' />"
            f"<title>星河社区</title></head><body>{body}</body></html>").encode("utf-8")


def serve(threads: int, port_queue) -> None:
    pages = board(threads)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


class PlainSpider(scrapy.Spider):
    """The fair peer: a plain Scrapy spider for this board with the preset's selectors, yielding dicts."""

    name = "plain"

    def __init__(self, start: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.start_urls = [start]

    def parse(self, response):  # a thread list
        for row in response.css("tbody[id^=normalthread_], tbody[id^=stickthread_]"):
            link = row.css("a.s.xst::attr(href)").get()
            if link:
                yield response.follow(link, self.parse_thread)
        following = response.css("div.pg a.nxt::attr(href)").get()
        if following:
            yield response.follow(following, self.parse)

    def parse_thread(self, response):
        title = response.css("#thread_subject::text").get()
        for post in response.css("#postlist > div[id^=post_]"):
            text = " ".join(t.strip() for t in post.css("td.t_f[id^=postmessage_] ::text").getall() if t.strip())
            if not text:
                continue
            yield {"id": post.attrib["id"].removeprefix("post_"), "title": title, "text": text,
                   "author": post.css(".authi a.xw1::text").get(),
                   "author_id": post.css(".authi a.xw1::attr(href)").re_first(r"uid[=-](\d+)"),
                   "time": post.css("em[id^=authorposton] span::attr(title)").get()
                   or post.css("em[id^=authorposton]::text").get(), "url": response.url}
        following = response.css("div.pg a.nxt::attr(href)").get()
        if following:
            yield response.follow(following, self.parse_thread)


def run_project(runner: CrawlRunner, base: str, lists: int) -> tuple[float, int, int]:
    options = ForumOptions.model_validate({"preset": "discuz", "base_url": base, "boards": [2],
                                           "max_list_pages": lists})
    source = SourceConfig(name="bench", type="forum", obey_robots=False, concurrency=16, options=options,
                          allow_networks=("127.0.0.1/32",))
    result = runner.crawl(source, timeout=120)
    return result.pages / result.seconds, result.pages, len(result.mentions)


def run_baseline(base: str) -> tuple[float, int, int]:
    from scrapy.crawler import CrawlerRunner
    from scrapy.settings import Settings
    from twisted.internet import reactor, threads

    from spiders import settings as project_settings

    # Scrapy's own defaults (no brandmon middlewares: those are part of what the project pays for)
    settings = Settings({"TWISTED_REACTOR": project_settings.TWISTED_REACTOR, "USER_AGENT": project_settings.USER_AGENT,
                         "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7", "TELNETCONSOLE_ENABLED": False})
    settings.setdict(SAME_SETTINGS, priority="cmdline")
    crawler = CrawlerRunner(settings).create_crawler(PlainSpider)
    started = time.perf_counter()
    threads.blockingCallFromThread(reactor, crawler.crawl, start=base + list_path(1))
    seconds = time.perf_counter() - started
    pages = crawler.stats.get_value("response_received_count", 0)
    return pages / seconds, pages, crawler.stats.get_value("item_scraped_count", 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    paths = list(board(args.threads))
    lists = sum(1 for p in paths if "forumdisplay" in p)
    ports = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(args.threads, ports), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{ports.get(timeout=30)}"
    runner = CrawlRunner("Asia/Shanghai", SAME_SETTINGS)
    rates: dict[str, list[float]] = {"project": [], "baseline": []}
    cpu: dict[str, list[float]] = {"project": [], "baseline": []}  # process CPU ms per page (server excluded)
    try:
        run_project(runner, base, lists)
        run_baseline(base)
        for round_no in range(args.rounds):
            order = ("project", "baseline") if round_no % 2 == 0 else ("baseline", "project")
            for name in order:
                run = (lambda: run_project(runner, base, lists)) if name == "project" else (lambda: run_baseline(base))
                cpu_started = time.process_time()
                rate, pages, posts = run()
                cpu[name].append((time.process_time() - cpu_started) * 1000 / max(pages, 1))
                if pages != len(paths) or posts != args.threads * THREAD_PAGES * POSTS_PER_PAGE:
                    raise SystemExit(f"{name} crawl incomplete: {pages}/{len(paths)} pages, {posts} posts")
                rates[name].append(rate)
                print(f"round {round_no + 1} {name:<8}: {pages} pages, {rate:.1f} pages/s", file=sys.stderr)
    finally:
        runner.stop()
        server.terminate()
    project, baseline = statistics.median(rates["project"]), statistics.median(rates["baseline"])
    print(json.dumps({
        "metric": "crawl_pages_per_second", "unit": "pages/s",
        "project": round(project, 1), "baseline": round(baseline, 1), "ratio": round(project / baseline, 3),
        "detail": {"pages": len(paths), "list_pages": lists, "threads": args.threads,
                   "posts_per_page": POSTS_PER_PAGE, "rounds": args.rounds,
                   "project_runs": [round(r, 1) for r in rates["project"]],
                   "baseline_runs": [round(r, 1) for r in rates["baseline"]],
                   "cpu_ms_per_page": {k: round(statistics.median(v), 2) for k, v in cpu.items()},
                   "settings": SAME_SETTINGS, "seconds": round(time.perf_counter() - started, 2)},
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
