"""The small query language of spider options, checked once when the config loads.

A query selects on a page: CSS (the default) or XPath ("xpath:…") on HTML, JMESPath on JSON.
It may be followed by steps, each after ">>": "re:PATTERN" keeps the first group (or the whole
match), "json:EXPR" parses the value as JSON and applies a JMESPath expression to it — e.g. Tieba's
`::attr(data-field) >> json:content.post_id`. A field may list several queries: the first that
finds something wins, so one preset survives small template differences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from string import Formatter

import jmespath
from jmespath.exceptions import JMESPathError

STEP = ">>"
_XPATH_NAMESPACES = {"re": "http://exslt.org/regular-expressions", "set": "http://exslt.org/sets"}


@dataclass(frozen=True)
class Step:
    kind: str  # "re" or "json"
    arg: str


@dataclass(frozen=True)
class Query:
    path: str
    steps: tuple[Step, ...] = ()


@lru_cache(maxsize=1024)
def parse_query(text: str, fmt: str) -> Query:
    """Split and check a query; ValueError says what is wrong in the user's terms."""
    head, *rest = [part.strip() for part in text.split(STEP)]
    steps = tuple(_step(part) for part in rest)
    if fmt == "json":
        _check_jmespath(head)
    elif head:
        _check_html(head)
    return Query(head, steps)


def check_queries(value: str | tuple[str, ...] | None, fmt: str) -> None:
    for text in _as_tuple(value):
        parse_query(text, fmt)


def queries(value: str | tuple[str, ...] | None, fmt: str) -> tuple[Query, ...]:
    return tuple(parse_query(text, fmt) for text in _as_tuple(value))


def check_template(template: str | None, allowed: tuple[str, ...]) -> None:
    """URL templates name only the placeholders the spider fills in."""
    if template is None:
        return
    try:
        names = [name for _, name, _, _ in Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise ValueError(f"'{template}' is not a valid URL template: {exc}") from None
    for name in names:
        if name not in allowed:
            raise ValueError(f"'{template}' uses {{{name}}}; allowed here: "
                             + ", ".join(f"{{{a}}}" for a in allowed))


def _as_tuple(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _step(text: str) -> Step:
    kind, sep, arg = text.partition(":")
    if not sep or kind not in ("re", "json") or not arg:
        raise ValueError(f"'{text}' is not a step; use 're:PATTERN' or 'json:EXPRESSION' after '>>'")
    if kind == "re":
        try:
            re.compile(arg)
        except re.error as exc:
            raise ValueError(f"'{arg}' is not a regular expression: {exc}") from None
    else:
        _check_jmespath(arg)
    return Step(kind, arg)


def _check_jmespath(text: str) -> None:
    try:
        compile_jmespath(text)
    except JMESPathError as exc:
        raise ValueError(f"'{text}' is not a JMESPath expression: {str(exc).splitlines()[0]}") from None


@lru_cache(maxsize=1024)
def compile_jmespath(text: str):
    return jmespath.compile(text)


@lru_cache(maxsize=1024)
def compile_xpath(path: str):
    """A CSS or "xpath:" query compiled once, evaluated straight on lxml elements (parsel's CSS dialect)."""
    from lxml import etree
    from parsel.csstranslator import HTMLTranslator

    xpath = path[len("xpath:"):] if path.startswith("xpath:") else HTMLTranslator().css_to_xpath(path)
    return etree.XPath(xpath, namespaces=_XPATH_NAMESPACES, smart_strings=False)


def _check_html(text: str) -> None:
    from lxml import etree

    kind = "XPath" if text.startswith("xpath:") else "CSS selector"
    try:
        compile_xpath(text)
    except etree.XPathSyntaxError as exc:
        raise ValueError(f"'{text}' is not a valid {kind}: {exc}") from None
    except Exception as exc:  # cssselect raises several unrelated types for bad syntax
        raise ValueError(f"'{text}' is not a valid {kind}: {exc}") from None
