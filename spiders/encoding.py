"""Decoding Chinese pages right: a page without a declared charset (or with a wrong one) is detected among
UTF-8, GB18030 (GBK, GB2312) and Big5 instead of being read as Latin text."""

from __future__ import annotations

import logging
import charset_normalizer
from scrapy.http import TextResponse
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

CANDIDATES = ["utf_8", "gb18030", "big5"]
log = logging.getLogger(__name__)


class EncodingFixer:
    def __init__(self, forced: str | None) -> None:
        self.forced = forced

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("BRANDMON_ENCODING"))

    def process_response(self, request, response):
        if not isinstance(response, TextResponse) or response.body.isascii():
            return response
        if self.forced:
            return response.replace(encoding=self.forced)
        declared = declared_encoding(response)
        if declared and _decodes(response.body, declared):
            return response
        best = charset_normalizer.from_bytes(response.body, cp_isolation=CANDIDATES).best()
        if best is None:
            return response
        log.debug("%s: declared %s, decoding as %s", response.url, declared or "nothing", best.encoding)
        return response.replace(encoding=best.encoding)


def declared_encoding(response) -> str | None:
    """The charset the page claims: byte-order mark, then Content-Type header, then <meta>."""
    bom, _ = read_bom(response.body)
    header = response.headers.get("Content-Type", b"").decode("latin-1")
    return bom or http_content_type_encoding(header) or html_body_declared_encoding(response.body)


def _decodes(body: bytes, encoding: str) -> bool:
    codec = resolve_encoding(encoding)
    if codec is None:
        return False
    try:
        body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True
