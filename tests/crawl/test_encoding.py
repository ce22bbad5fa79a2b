"""Chinese pages decoded right even when the site declares no charset, or a wrong one."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse

from spiders.encoding import EncodingFixer

SHORT_POST = "<html><body><p>星河手机电池爆炸，客服不理人，太离谱了</p></body></html>"


def fetched(text: str, encoding: str, content_type: str = "text/html") -> HtmlResponse:
    return HtmlResponse("http://bbs.example/t/1", body=text.encode(encoding), headers={"Content-Type": content_type})


def test_a_short_undeclared_gbk_page_that_scrapy_alone_reads_as_korean_is_read_as_chinese():
    page = fetched(SHORT_POST, "gbk")
    assert "星河手机" not in page.text  # what Scrapy guesses by itself
    assert "星河手机电池爆炸" in EncodingFixer(None).process_response(None, page).text


@pytest.mark.parametrize("encoding, text", [
    ("big5", "<html><body><p>星河手機電池爆炸，客服不理人，太離譜了</p></body></html>"),
    ("gb18030", SHORT_POST),
    ("utf-8", SHORT_POST),
])
def test_undeclared_big5_gb18030_and_utf8_pages_are_each_recognised(encoding, text):
    assert EncodingFixer(None).process_response(None, fetched(text, encoding)).text == text


def test_a_page_whose_header_claims_utf8_but_which_is_gbk_is_read_as_gbk():
    page = fetched(SHORT_POST, "gbk", "text/html; charset=utf-8")
    assert "电池爆炸" in EncodingFixer(None).process_response(None, page).text


def test_a_sources_own_encoding_overrides_whatever_the_page_says():
    page = fetched(SHORT_POST.replace("<body>", "<head><meta charset='utf-8'></head><body>"), "gb18030")
    assert "电池爆炸" in EncodingFixer("gb18030").process_response(None, page).text
