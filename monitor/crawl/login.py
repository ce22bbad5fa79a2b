"""Logging an operator's account in to a platform: its login page opens in a headless chromium, its QR code is
printed in the terminal for the platform's phone app to scan, and once the page says the login went through,
the browser's cookies go into the platform's cookie pool (monitor/crawl/cookies.py)."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from monitor.clock import Clock
from monitor.config.model import LoginOptions
from monitor.crawl.browser import BrowserError, Chromium
from monitor.crawl.cookies import Account, CookiePool

UPPER, LOWER, FULL = "\u2580", "\u2584", "\u2588"
QUIET = 2  # modules of blank margin around a printed code


class LoginTimeout(RuntimeError):
    """Nobody scanned the code (or confirmed on the phone) in time."""


def half_blocks(matrix: list[list[bool]], invert: bool = False) -> str:
    """A QR matrix (True: dark module) as text, two module rows per line. By default dark modules are left
    blank and light ones drawn, which reads right on the usual dark terminal; `invert` for a light one."""
    if len(matrix) % 2:
        matrix = [*matrix, [False] * len(matrix[0])]
    lines = []
    for top, bottom in zip(matrix[::2], matrix[1::2]):
        line = []
        for up, down in zip(top, bottom):
            up, down = (up, down) if invert else (not up, not down)
            line.append(FULL if up and down else UPPER if up else LOWER if down else " ")
        lines.append("".join(line))
    return "\n".join(lines)


def qr_text(payload: str, invert: bool = False) -> str:
    import qrcode

    code = qrcode.QRCode(border=QUIET)
    code.add_data(payload)
    code.make(fit=True)
    return half_blocks(code.get_matrix(), invert)


def image_text(png: bytes, invert: bool = False) -> str:
    """A screenshot of a QR code as text: the module size is read off the top-left finder pattern (seven
    modules wide), then each module is sampled at its centre."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    width, height = image.size
    dark = [[image.getpixel((x, y)) < 128 for x in range(width)] for y in range(height)]
    rows = [y for y in range(height) if any(dark[y])]
    if not rows:
        raise ValueError("the QR image is blank")
    top, bottom = rows[0], rows[-1]
    left = dark[top].index(True)
    right = width - 1 - dark[top][::-1].index(True)  # the top-right finder pattern's far edge
    module = max((next((x for x in range(left, width) if not dark[top][x]), width) - left) / 7, 1)
    across, down = round((right - left + 1) / module), round((bottom - top + 1) / module)
    matrix = [[0 <= j < down and 0 <= i < across and dark[int(top + (j + 0.5) * module)][int(left + (i + 0.5) * module)]
               for i in range(-QUIET, across + QUIET)] for j in range(-QUIET, down + QUIET)]
    return half_blocks(matrix, invert)


def login(options: LoginOptions, base: str, pool: CookiePool, account: str, echo: Callable[[str], None],
          clock: Clock | None = None, invert: bool = False, poll: float = 0.5) -> Account:
    """Runs one login to the end: the account in the pool, or LoginTimeout / BrowserError."""
    clock = clock or Clock()
    page = options.page.format(base=base)
    browser = Chromium(timeout=60)
    try:
        browser.open(page)
        urls = [u for u in (page, *options.cookie_domains, base) if urlsplit(u).scheme in ("http", "https")]
        before = _cookie(browser, urls, options.done_cookie)
        shown = None
        deadline = time.monotonic() + options.timeout.total_seconds()
        while True:
            if options.done and browser.evaluate(options.done) is True:
                break
            if options.done_cookie and _cookie(browser, urls, options.done_cookie) not in (None, before):
                break
            code = str(browser.evaluate(options.qr) or "") if options.qr else "image"
            if code and code != shown:  # the page may still be fetching it; platforms renew it every minute or two
                echo(qr_text(code, invert) if options.qr else image_text(browser.screenshot(options.qr_image), invert))
                echo(f"请用 {pool.platform} 手机 App 扫描上方二维码并确认登录（{options.timeout.total_seconds():.0f} 秒内）"
                     f"\nScan the code above with the {pool.platform} app and confirm.")
                shown = code
            if time.monotonic() > deadline:
                raise LoginTimeout(f"nobody scanned the code within {options.timeout.total_seconds():.0f} s")
            time.sleep(poll)
        cookies = browser.cookies(urls)
        if not cookies:
            raise BrowserError("the login went through but the browser holds no cookies for the platform")
        return pool.add(account, cookies, clock.now())
    finally:
        browser.close()


def _cookie(browser: Chromium, urls: list[str], name: str | None) -> str | None:
    if name is None:
        return None
    return next((c["value"] for c in browser.cookies(urls) if c["name"] == name), None)
