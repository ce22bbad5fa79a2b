"""What a crawled string may carry into the store: no terminal escapes, no right-to-left overrides that
make 差评 read as 评差 in a console, no lone surrogates that no encoder accepts, and a bounded length;
and which URLs may become a mention's link (http and https only, never `javascript:`)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_TEXT = 20_000  # characters of a post kept; a 1M-character "post" is an attack, not an opinion
MAX_TITLE = 500
MAX_NAME = 200

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def clean(value: str | None, limit: int = MAX_TEXT) -> tuple[str | None, bool]:
    """The string as a reader should get it, and whether anything was cut or stripped."""
    if not value:
        return value, False
    cleaned = _INVISIBLE.sub("", _ANSI.sub("", value))[:limit]
    return cleaned.strip() or None, cleaned != value


def safe_url(url: str | None) -> str | None:
    """The URL when it is a web address a PR person may click; None for javascript:, data:, mailto: …"""
    if not url:
        return None
    url = _INVISIBLE.sub("", url).strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.netloc else None
