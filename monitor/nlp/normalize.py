"""Text as the NLP stage reads it: Simplified, half-width, without markup, links, invisible characters or
emoticon codes; an @handle loses its @ but keeps its name (`@小米公司 充不进电` is addressed to 小米, and
`求助@华为手机爆炸了` must keep its words), and where the names stand is kept (Normalized.handles) so that
the brand matcher can tell @食尚小米, a food blogger, from 小米.

Mention.text keeps what the author wrote, for display (after `clean`); these forms are only for understanding it.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import opencc

_IMG_ALT = re.compile(r"""<img\b[^>\x00]*?\balt\s*=\s*(["'])([^\x00]*?)\1[^>\x00]*>""", re.I)  # Weibo's emoticons
_BREAK = re.compile(r"<br\s*/?>|</p>|</div>|</li>", re.I)
_TAG = re.compile(r"</?[A-Za-z][^>\x00]*>")  # \x00 separates the texts of a batch
# Inline tags vanish without a space: search pages highlight the keyword, as in 星<em>河</em>手机.
_URL = re.compile(r"(?:https?://|www\.)[!-~]+", re.I)
_HANDLE = re.compile(r"(?<![0-9A-Za-z_.])@(?=[-\w\u4e00-\u9fff])")  # the @ of a handle, not of an e-mail address
_MARK = "\x01"  # where a handle's @ was, until the forms are built (controls are gone by then)
_MARKED = re.compile(r" ?\x01([-\w]*)")  # a handle ends at whitespace or punctuation
# Terminal escapes, C0/C1 controls (not \t \n \x00, the batch separator), lone surrogates, bidi controls
# and other invisible format characters (zero-width spaces, BOM) that people put inside 华\u200b为.
_ESCAPES = r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]{0,512}(?:\x07|\x1b\\)|[@-Z\\-_])"
_CONTROLS = "\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff"
_FORMAT = "\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
_UNSEEN = re.compile(f"{_ESCAPES}|[{_CONTROLS}{_FORMAT}]+")
_UNSAFE = re.compile(f"{_ESCAPES}|[{_CONTROLS}\u202a-\u202e\u2066-\u2069]")
_EMOTICON = re.compile(r"\[[\w\u4e00-\u9fff]{1,8}\]")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")


@dataclass(frozen=True, slots=True)
class Normalized:
    """`scored` keeps emoticon codes ([泪], [赞]): on Weibo they are the author's own sentiment label,
    and the scorer weighs them. `plain` drops them too, for matching, words and near-duplicates."""

    scored: str
    plain: str
    handles: tuple[tuple[int, int], ...] = ()  # where in `plain` the names of @handles stand


@functools.cache
def _traditional_only() -> frozenset[str]:
    """Characters that exist only in Traditional script, so Simplified text skips the (slow) converter."""
    table = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    chars = set()
    for line in table.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        if len(source) == 1 and source not in targets.split():
            chars.add(source)
    return frozenset(chars)


@functools.cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → Simplified (OpenCC, phrase-aware); text without Traditional-only characters is returned as is."""
    return text if _traditional_only().isdisjoint(text) else _converter().convert(text)


def strip_links(text: str) -> str:
    """URLs out, and the @ of handles (their names stay: they are often the brand itself); neither pattern
    crosses the \x00 that joins a batch."""
    return _HANDLE.sub(" ", _URL.sub(" ", text))


def clean(text: str) -> str:
    """Text safe to store and print: terminal escapes, control characters, bidi overrides and lone surrogates
    out (the latter cannot even be encoded as UTF-8); line breaks, tabs and the author's zero-width characters stay."""
    return _UNSAFE.sub("", text) if _UNSAFE.search(text) else text


def _strip_markup(text: str) -> str:
    text = _IMG_ALT.sub(r" \2 ", text)
    text = _BREAK.sub("\n", text)
    return html.unescape(_TAG.sub("", text))


def normalize(text: str) -> Normalized:
    """One text's normalised forms; see normalize_many."""
    return normalize_many([text])[0]


def normalize_many(texts: Sequence[str]) -> list[Normalized]:
    """Normalised forms of a batch: the regexes run once over the joined batch, which is what makes it fast."""
    if not texts:
        return []
    joined = "\x00".join(t.replace("\x00", " ") for t in texts)
    if "<" in joined or "&" in joined:
        joined = _strip_markup(joined)
    joined = _UNSEEN.sub("", joined)
    joined = unicodedata.normalize("NFKC", joined)  # full-width letters, digits and punctuation → half-width
    joined = _HANDLE.sub(_MARK, _URL.sub(" ", joined))
    joined = _SPACES.sub(" ", joined)
    scored = [to_simplified(t.strip()) for t in joined.split("\x00")]
    out = []
    for s in scored:
        plain = _SPACES.sub(" ", _EMOTICON.sub(" ", s)).strip() if "[" in s else s
        if _MARK in s:
            out.append(Normalized(_unmark(s)[0], *_unmark(plain)))
        else:
            out.append(Normalized(s, plain))
    return out


def _unmark(text: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The text with each handle's mark turned into the one space strip_links leaves, and the handles' spans."""
    parts, spans, length, at = [], [], 0, 0
    for m in _MARKED.finditer(text):
        parts.append(text[at:m.start()])
        length += m.start() - at
        if length:  # a handle opening the text loses its space, as strip() would take it
            parts.append(" ")
            length += 1
        if m.group(1):
            spans.append((length, length + len(m.group(1))))
        parts.append(m.group(1))
        length += len(m.group(1))
        at = m.end()
    parts.append(text[at:])
    out = "".join(parts)
    stripped = out.rstrip()
    return stripped, tuple(spans)


def fold(text: str) -> str:
    """The form terms and texts are compared in: normalised and lower-case."""
    return normalize(text).plain.lower()
