"""Telling "the site refuses us" apart from "the page changed": status codes, login and captcha pages."""

from __future__ import annotations

import re

from scrapy.exceptions import IgnoreRequest

BLOCK_STATUSES = {403: "forbidden (HTTP 403)", 418: "refused (HTTP 418)", 429: "rate limited (HTTP 429)",
                  451: "unavailable for legal reasons (HTTP 451)"}
LOGIN_REDIRECT = "redirected to a login page (cookies missing or expired?)"
LOGIN_WALL = "a login wall (cookies missing or expired?)"
LOGIN_REASONS = (LOGIN_REDIRECT, LOGIN_WALL)  # a session that ended, when the source has a cookie pool
_LOGIN_URL = re.compile(r"login|logging|signin|sign_in|passport\.|/passport|ucp\.php\?mode=login", re.I)
_CAPTCHA_URL = re.compile(r"captcha|verify|security-check|wappass\.baidu|challenge", re.I)
_CAPTCHA_TEXT = ("captcha", "验证码", "安全验证", "人机验证", "滑动验证", "geetest", "访问过于频繁", "unusual traffic")
_LOGIN_TEXT = ("请先登录", "您需要登录", "尚未登录", "登录后才能", "登录后可", "请登录后", "sign in to continue",
               "you must be logged in", "log in to continue")


def url_block_reason(url: str) -> str | None:
    if _CAPTCHA_URL.search(url):
        return "redirected to a captcha page"
    if _LOGIN_URL.search(url):
        return LOGIN_REDIRECT
    return None


def body_block_reason(response) -> str | None:
    """Only asked of pages that lack what they should have, so a forum's "登录" link never counts."""
    text = getattr(response, "text", "")[:20000].lower()
    if any(marker in text for marker in _CAPTCHA_TEXT):
        return "a captcha page"
    if any(marker in text for marker in _LOGIN_TEXT):
        return LOGIN_WALL
    return None


class BlockDetector:
    """Stops the crawl when a site says no: 403/418/429/451 (429 after backoff gave up) or a redirect to a
    login or captcha page. The request is dropped; the spider marks its source blocked."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response):
        if request.meta.get("dont_obey_robotstxt"):  # robots.txt itself: its own middleware judges it
            return response
        reason = BLOCK_STATUSES.get(response.status)
        if reason is None and request.meta.get("redirect_urls"):
            reason = url_block_reason(response.url)
        if reason is None:
            return response
        spider = self.crawler.spider
        if spider.pool is not None and reason in LOGIN_REASONS:  # the session ended: the account is set aside
            spider.needs_login(reason, response.url)
        else:
            spider.block(reason, response.url)
        raise IgnoreRequest(f"blocked: {reason}")
