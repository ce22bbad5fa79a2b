"""Scrapy settings shared by `scrapy crawl` and the daemon's in-process crawler.

A source may override robots.txt, concurrency, delay, timeout, retries, headers, proxies and
encoding in its config (spiders/source_settings.py).
"""

BOT_NAME = "brandmon"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
USER_AGENT = "brandmon/0.1 (+https://github.com/brandmon/brandmon)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_TIMEOUT = 20
RETRY_ENABLED = True
RETRY_TIMES = 2
# 429 and 503 are retried by BackoffRetry, after a wait; these are retried at once.
RETRY_HTTP_CODES = [500, 502, 504, 522, 524, 408]
BRANDMON_BACKOFF_BASE = 2.0
BRANDMON_BACKOFF_MAX = 60.0
DOWNLOADER_MIDDLEWARES = {
    "spiders.offsite.HostGuard": 50,  # before robots.txt is asked for: a refused host gets no request at all
    "spiders.blocking.BlockDetector": 555,
    "spiders.backoff.BackoffRetry": 560,
    "spiders.signing.SigningMiddleware": 590,  # only for sources whose platform signs in its own JS
    "spiders.encoding.EncodingFixer": 585,
    "spiders.proxies.ProxyRotation": 740,
}
BRANDMON_ALLOW_NETWORKS: list[str] = []  # private/local networks every source may reach (tests, the demo)
# A page larger than this is dropped (counted as an error), also once decompressed: a gzip bomb stops here.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
HTTPCACHE_ENABLED = False
TELNETCONSOLE_ENABLED = False
COOKIES_ENABLED = True
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
