"""User-supplied short strings (an acker's name, a silence comment) made safe to keep: one line, no
control or invisible characters, nothing that changes the Markdown or log line it is written into."""

from __future__ import annotations

import re
import unicodedata

# Markdown that would restructure a post-mortem line or table: emphasis, code, links, headings, tables, HTML
_MARKUP = str.maketrans("", "", "|`*_[]<>#\\")
_SPACES = re.compile(r"\s+")


def clean_text(value: str | None, limit: int = 200, markup: bool = False) -> str:
    """One line of at most `limit` characters: line breaks and other control or format characters
    (bidi overrides, zero-width) become spaces, runs of space one space; Markdown punctuation is
    dropped unless `markup`."""
    if not value:
        return ""
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" and ch != " " else ch
                   for ch in unicodedata.normalize("NFC", value))
    if not markup:
        text = text.translate(_MARKUP)
    return _SPACES.sub(" ", text).strip()[:limit].strip()


def clean_name(value: str | None, limit: int = 40) -> str:
    """A person's name as typed into a form or --by."""
    return clean_text(value, limit)
