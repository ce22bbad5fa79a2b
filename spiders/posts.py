"""Posts read off a page by the fields a source's options name: the part shared by every paged spider."""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.config.model import NestedFields, PostFields
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
    likes: str | None = None  # as printed: the spider reads counts (and counts what it could not read)
    replies: str | None = None
    ip_location: str | None = None
    parent: str | None = None
    followers: str | None = None
    reposts: str | None = None
    views: str | None = None
    status: str | None = None
    nested: list["PostData"] = field(default_factory=list)


@dataclass
class PostsRead:
    """The posts of a page; those without text (deleted, shielded, image-only) and those that broke reading."""

    posts: list[PostData] = field(default_factory=list)
    skipped: int = 0
    skipped_ids: list[str] = field(default_factory=list)  # skipped posts' ids: known, so not fetched again
    broken: list[BaseException] = field(default_factory=list)


def read_posts(page, node, fields: FieldSet, found: PostsRead | None = None) -> PostsRead:
    """The posts under `node`. A post whose values break reading (absurd nesting, wrong types) is skipped
    alone: its siblings are kept."""
    found = found if found is not None else PostsRead()
    for item in page.nodes(node, fields.q["post"]):
        try:
            post = _read_post(page, item, fields)
        except (RecursionError, ValueError, TypeError, AttributeError, KeyError, OverflowError,
                UnicodeError) as exc:
            found.broken.append(exc)
            continue
        if post is None:
            found.skipped += 1
            native = _quiet(lambda: page.value(item, fields.q["post_id"]))
            if native:
                found.skipped_ids.append(native)
            continue
        if fields.nested is not None:
            nested = read_posts(page, item, fields.nested, PostsRead(skipped_ids=found.skipped_ids,
                                                                     broken=found.broken))
            post.nested = nested.posts
            found.skipped += nested.skipped
        found.posts.append(post)
    return found


def _read_post(page, item, fields: FieldSet) -> PostData | None:
    def value(name: str) -> str | None:
        return page.value(item, fields.q[name])

    text = page.value(item, fields.q["text"], fields.q["text_exclude"])
    if fields.fmt == "json":
        text = html_to_text(text, fields.q["text_exclude"])
    if not text:
        return None
    if fields.q["skip"]:  # system notices ("This topic is now pinned") are no one's words
        flag = page.raw(item, fields.q["skip"])
        if flag is True or (isinstance(flag, str) and flag):
            return None
    return PostData(native_id=value("post_id"), text=text, author=value("author"), author_id=value("author_id"),
                    time=value("time"), likes=value("likes"), replies=value("replies"),
                    ip_location=value("ip_location"), parent=value("parent"),
                    followers=value("followers"), reposts=value("reposts"), views=value("views"),
                    status=value("status"))


def _quiet(read):
    try:
        return read()
    except (RecursionError, ValueError, TypeError, AttributeError, KeyError):
        return None


def _format_of(field_name: str, fmt: str) -> str:
    return "html" if field_name == "text_exclude" else fmt  # it selects inside the text's HTML, also in JSON
