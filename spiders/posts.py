"""Posts read off a page by the fields a source's options name: the part shared by every paged spider."""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.config.model import NestedFields, PostFields
from monitor.crawl.numbers import parse_count
from monitor.crawl.selectors import Query, queries
from spiders.extract import html_to_text

FIELDS = tuple(PostFields.model_fields)


@dataclass(frozen=True)
class FieldSet:
    """Compiled queries for each post field; nested replies fall back to their post's queries."""

    fmt: str
    q: dict[str, tuple[Query, ...]]
    nested: "FieldSet | None" = None

    @classmethod
    def of(cls, fields: PostFields, fmt: str, nested: NestedFields | None = None) -> "FieldSet":
        own = {name: queries(getattr(fields, name), _format_of(name, fmt)) for name in FIELDS}
        inner = None
        if nested is not None:
            inner = cls(fmt, {name: queries(getattr(nested, name), _format_of(name, fmt)) or own[name]
                              for name in FIELDS})
        return cls(fmt, own, inner)


@dataclass
class PostData:
    native_id: str | None
    text: str
    author: str | None = None
    author_id: str | None = None
    time: str | None = None
    likes: int | None = None
    replies: int | None = None
    ip_location: str | None = None
    parent: str | None = None
    nested: list["PostData"] = field(default_factory=list)


def read_posts(page, node, fields: FieldSet) -> tuple[list[PostData], int]:
    """The posts under `node`, and how many post nodes had no text (deleted, shielded, ads) and were skipped."""
    posts, skipped = [], 0
    for item in page.nodes(node, fields.q["post"]):
        post = _read_post(page, item, fields)
        if post is None:
            skipped += 1
            continue
        if fields.nested is not None:
            nested, nested_skipped = read_posts(page, item, fields.nested)
            post.nested, skipped = nested, skipped + nested_skipped
        posts.append(post)
    return posts, skipped


def _read_post(page, item, fields: FieldSet) -> PostData | None:
    def value(name: str) -> str | None:
        return page.value(item, fields.q[name])

    text = page.value(item, fields.q["text"], fields.q["text_exclude"])
    if fields.fmt == "json":
        text = html_to_text(text, fields.q["text_exclude"])
    if not text:
        return None
    return PostData(native_id=value("post_id"), text=text, author=value("author"), author_id=value("author_id"),
                    time=value("time"), likes=parse_count(value("likes")), replies=parse_count(value("replies")),
                    ip_location=value("ip_location"), parent=value("parent"))


def _format_of(field_name: str, fmt: str) -> str:
    return "html" if field_name == "text_exclude" else fmt  # it selects inside the text's HTML, also in JSON
