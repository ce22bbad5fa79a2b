"""A fetched page as spiders query it: HTML through lxml (CSS in parsel's dialect, or XPath), JSON through
JMESPath, with the same calls.

Queries are parsed and compiled once (monitor/crawl/selectors.py); a field's queries are tried in order
and the first that finds something wins. An empty HTML query means the node itself.
"""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

from lxml import etree, html as lxml_html
from parsel import Selector
from scrapy.http import TextResponse

from monitor.crawl.selectors import Query, compile_jmespath, compile_xpath

_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "td", "blockquote", "pre", "ul", "ol", "table", "section", "article",
               "h1", "h2", "h3", "h4", "h5", "h6", "dd", "dt"}
_HIDDEN_TAGS = {"script", "style", "noscript", "template"}
_EMOTICON = re.compile(r"^(\[[^\[\]]{1,8}\]|:[a-z0-9_+-]{1,30}:)$")  # [怒], [doge], :angry: — emoticons' alt text
_HTML_TAG = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*)(?:\s[^<>]*)?/?>")
# 64 tags opened (or closed) in a row: no template does that, a nesting attack does. libxml2 stops at depth
# 256 and drops everything after, the sibling posts too; the run is cut short so they survive.
_OPEN_RUN = re.compile(r"<[a-zA-Z][^>]*>(?:\s*<[a-zA-Z][^>]*>){63,}")
_CLOSE_RUN = re.compile(r"(?:</[a-zA-Z][^<>]{0,20}>\s*){64,}")
MAX_DEPTH_RUN = 8
_JS_STRING = re.compile(r"'((?:[^'\\]|\\.)*)'")
_JS_KEY = re.compile(r"([{,]\s*)([A-Za-z_$][\w$]*)\s*:")
_NO_VALUE = {"undefined", "null", "None", "NaN"}  # what templates print for a value they do not have


class PageError(Exception):
    """The page is not what its source says it is (not HTML, truncated JSON, …)."""


def read_page(response, fmt: str, unwrap_comments: bool = False) -> "HtmlPage | JsonPage":
    if not isinstance(response, TextResponse):
        raise PageError(f"not a text page ({response.headers.get('Content-Type', b'?').decode('latin-1')})")
    if fmt == "json":
        try:
            return JsonPage(json.loads(response.text))
        except RecursionError:
            raise PageError("JSON nested too deep to read") from None
        except ValueError as exc:
            raise PageError(f"invalid or truncated JSON ({exc})") from None
    text = response.text
    flattened = _flatten_runs(text)
    if unwrap_comments:  # Tieba ships its thread list inside <!-- --> for its own scripts to render
        flattened = (flattened or text).replace("<!--", "").replace("-->", "")
    if flattened is not None:
        return HtmlPage(Selector(text=flattened).root)
    return HtmlPage(response.selector.root)


def _flatten_runs(text: str) -> str | None:
    """The page with absurd runs of nested tags cut to a few, or None when it has none (the usual case)."""
    if not _OPEN_RUN.search(text):
        return None
    text = _OPEN_RUN.sub(lambda m: "".join(_HTML_TAG.findall(m.group(0))[:MAX_DEPTH_RUN]), text)
    return _CLOSE_RUN.sub("</div>" * MAX_DEPTH_RUN, text)


class HtmlPage:
    """Queries run on lxml elements directly: compiled once, no wrapper object per match."""

    def __init__(self, root) -> None:
        self.root = root

    def nodes(self, node, queries: tuple[Query, ...]) -> list:
        for q in queries:
            found = [e for e in _select(node, q) if isinstance(e, etree._Element)]
            if found:
                return found
        return []

    def value(self, node, queries: tuple[Query, ...], exclude: tuple[Query, ...] = ()) -> str | None:
        """The first match's string, or an element's visible text without the `exclude` parts."""
        for q in queries:
            found = _select(node, q)
            if not found:
                continue
            first = found[0]
            raw = visible_text(first, _left_out(first, exclude)) if isinstance(first, etree._Element) else str(first)
            value = _apply_steps(raw, q)
            if value:
                return value
        return None

    def values(self, node, queries: tuple[Query, ...]) -> list[str]:
        for q in queries:
            texts = (visible_text(e) if isinstance(e, etree._Element) else str(e) for e in _select(node, q))
            found = [v for v in (_apply_steps(t, q) for t in texts) if v]
            if found:
                return found
        return []

    def raw(self, node, queries: tuple[Query, ...]) -> Any:
        return self.value(node, queries)


class JsonPage:
    def __init__(self, data: Any) -> None:
        self.root = data

    def nodes(self, node: Any, queries: tuple[Query, ...]) -> list[Any]:
        for q in queries:
            found = compile_jmespath(q.path).search(node)
            if isinstance(found, list) and found:
                return [item for item in found if item is not None]
            if isinstance(found, dict):
                return [found]
        return []

    def value(self, node: Any, queries: tuple[Query, ...], exclude: tuple[Query, ...] = ()) -> str | None:
        """`exclude` is for HTML; HTML inside JSON strings goes through html_to_text."""
        for q in queries:
            value = _apply_steps(_scalar(compile_jmespath(q.path).search(node)), q)
            if value:
                return value
        return None

    def values(self, node: Any, queries: tuple[Query, ...]) -> list[str]:
        for q in queries:
            found = compile_jmespath(q.path).search(node)
            items = found if isinstance(found, list) else [found]
            values = [v for v in (_apply_steps(_scalar(i), q) for i in items) if v]
            if values:
                return values
        return []

    def raw(self, node: Any, queries: tuple[Query, ...]) -> Any:
        for q in queries:
            found = compile_jmespath(q.path).search(node)
            if found is not None:
                return found
        return None


def visible_text(element, left_out: set | frozenset = frozenset()) -> str:
    """What a reader sees: no scripts or styles (nor `left_out` elements), emoticons as their alt text
    ([怒], not an attachment's file name), blocks on new lines."""
    out: list[str] = []

    def walk(el, with_tail: bool) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag and tag not in _HIDDEN_TAGS and el not in left_out:
            if tag == "img" and _EMOTICON.match(el.get("alt") or ""):
                out.append(el.get("alt"))
            if tag in _BLOCK_TAGS:
                out.append("\n")
            if el.text:
                out.append(el.text)
            for child in el:
                walk(child, True)
            if tag in _BLOCK_TAGS:
                out.append("\n")
        if with_tail and el.tail:
            out.append(el.tail)

    walk(element, False)
    lines = (" ".join(line.split()) for line in "".join(out).split("\n"))
    return "\n".join(line for line in lines if line)


def html_to_text(value: str | None, exclude: tuple[Query, ...] = ()) -> str | None:
    """Text fields of JSON APIs often carry HTML (Discourse's cooked, Weibo's text): keep what a reader sees."""
    if not value or not _HTML_TAG.search(value):
        return unescape(value).strip() if value else value
    try:
        fragment = lxml_html.fragment_fromstring(value, create_parent="div")
    except (etree.ParserError, ValueError):
        return value
    return visible_text(fragment, _left_out(fragment, exclude)) or None


def _left_out(node, exclude: tuple[Query, ...]) -> set:
    return {found for q in exclude for found in _select(node, q)}


def _select(node, q: Query) -> list:
    if not q.path:
        return [node]
    found = compile_xpath(q.path)(node)
    return found if isinstance(found, list) else [found]  # count(), boolean() and friends give one value


def _scalar(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if v is not None and not isinstance(v, (list, dict))), None)
    if value is None or isinstance(value, dict):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _apply_steps(value: str | None, q: Query) -> str | None:
    for step in q.steps:
        if value is None:
            return None
        if step.kind == "re":
            m = re.search(step.arg, value)
            value = (m.group(1) if m.re.groups else m.group(0)) if m else None
        else:
            try:
                value = _scalar(compile_jmespath(step.arg).search(_json_or_js(value)))
            except (ValueError, RecursionError):
                value = None
    value = value.strip() if isinstance(value, str) else value
    return None if not value or value in _NO_VALUE else value


def _json_or_js(text: str):
    """JSON, or the JavaScript object literal some templates print instead (Tieba's 楼中楼 data-field:
    {'spid':'146812395005','user_name':'…'}), turned into JSON first."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    converted = _JS_STRING.sub(lambda m: json.dumps(_js_unescape(m.group(1)), ensure_ascii=False), text)
    return json.loads(_JS_KEY.sub(r'\1"\2":', converted))


def _js_unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)
