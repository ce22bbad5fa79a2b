"""What a keyword or a search word matches: one definition, used by every store.

A text is cut into words the way Elasticsearch's standard analyzer cuts Chinese: each Han (or kana)
character is a word of its own, and a run of other letters and digits is one word; case and
full-width forms are folded (NFKC, casefold), punctuation and spaces only separate. A keyword
matches when its words appear in the text's words side by side, in order (a phrase). So `mi` is not
found in "family" (no word `mi`), `发热` is found in "发 热" (the same two words, adjacent), `ＭＩ` is
`mi`, and `小米` is not found in "小 的 米".

The stores never tokenise themselves: they keep `words()` of each mention joined by spaces and
match phrases on that (SQLite: a space-delimited substring; Elasticsearch: `match_phrase` on a field
with the whitespace analyzer), so the two cannot drift apart.
"""

from __future__ import annotations

import re
import string
import unicodedata

# Han ideographs (with extensions and compatibility forms), hiragana, katakana: one character, one word
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_WORD = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")


def words(text: str | None) -> list[str]:
    if not text:
        return []
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def phrase(keyword: str) -> str:
    """The keyword as the space-joined words a stored field is searched for ('' matches nothing)."""
    return " ".join(words(keyword))


def joined(text: str | None) -> str:
    """The stored form of a text: its words joined by single spaces."""
    return " ".join(words(text))


def contains(haystack: str, keyword: str) -> bool:
    """The reference semantics (what both stores implement): does `keyword` occur in `haystack` as a phrase?"""
    wanted = phrase(keyword)
    return bool(wanted) and f" {wanted} " in f" {joined(haystack)} "


def search_phrases(text: str) -> list[str]:
    """A search box: whitespace separates required phrases (`电池 鼓包` needs both; `电池鼓包` needs them adjacent)."""
    return [p for p in (phrase(piece) for piece in text.split()) if p]


def handle(name: str) -> str:
    """An account name or id as compared (official accounts, Query.written_by): ASCII letters without
    case, as platforms treat handles; other letters as they are, since Elasticsearch's case-insensitive
    term query folds ASCII only, and both stores must agree."""
    return name.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
