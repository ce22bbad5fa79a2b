"""What a complaint is about: 质量, 安全, 服务/售后, 物流, 价格/退款, 虚假宣传, 隐私/数据, 食品安全 (configurable).

A category applies when one of its terms (monitor/nlp/data/complaint_categories.txt plus the config's
nlp.categories.terms) occurs and is not negated: a negator (没有, 不, 并未 …) right before it, or with up to
two filler words between (没有出现过质量问题), cancels it, unless it asks (是不是假货, 有没有质量问题). Most
complaints name no such term (又小又酸, 反应慢, 两个小时才送来), so each clause is also read for a judgement (monitor/nlp/data/complaint_patterns.txt):
a negative word in a clause without terms makes it a complaint about the aspect the clause names (快递 →
物流, 态度 → 服务/售后) or else about 质量; praise without a negative word (物流不错) cancels the clause's
terms. PR staff triage complaints by category, so only mentions read as complaints (negative, or carrying
crisis terms) get categories; the rest get none.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

_LEXICON = Path(__file__).parent / "data" / "complaint_categories.txt"
_PATTERNS = Path(__file__).parent / "data" / "complaint_patterns.txt"
_CLAUSE_END = re.compile(r"[,，.。!！?？;；:：、~～…\s]+")
_DEFAULT_ASPECT = "质量"  # a clause that judges something bad without naming what is about the product
_NEGATORS = ("不", "没", "没有", "无", "毫无", "未", "并未", "并没有", "从未", "从没", "从来没有", "不是", "并非", "别",
             "不会", "不存在", "零", "免")
_FILLERS = ("任何", "什么", "过", "出现", "出现过", "发生", "发生过", "遇到", "遇到过", "一点", "太", "很", "算", "那么",
            "有", "再", "被", "一次", "丝毫", "半点", "啥")
_NEGATED = re.compile("(?:" + "|".join(sorted(_NEGATORS, key=len, reverse=True)) + ")(?:"
                      + "|".join(sorted(_FILLERS, key=len, reverse=True)) + "){0,2}$")
# 是不是假货, 有没有质量问题: a question asks, it does not deny
_ASKED = re.compile("(?:是不是|有没有|会不会|算不算)(?:" + "|".join(sorted(_FILLERS, key=len, reverse=True)) + "){0,2}$")
_LOOKBACK = 10  # characters before a term read for a negation


def _negated(text: str, lo: int, at: int) -> bool:
    """A negator ends right before position at (with up to two filler words), and is not part of a question."""
    return bool(_NEGATED.search(text, lo, at)) and not _ASKED.search(text, lo, at)


def _sections(path: Path) -> dict[str, tuple[str, ...]]:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
        elif current is not None:
            current.extend(line.split())
    return {name: tuple(terms) for name, terms in sections.items()}


@functools.cache
def builtin_lexicon() -> dict[str, tuple[str, ...]]:
    """Category → terms, in the file's order."""
    return _sections(_LEXICON)


@functools.cache
def _patterns() -> dict[str, tuple[str, ...]]:
    return _sections(_PATTERNS)


def _alternation(words) -> re.Pattern | None:
    """Any of the words (lower-cased), the longest where several start at one place: a trie of them, which
    the regex engine walks a character at a time instead of trying hundreds of words at every position."""
    trie: dict = {}
    for word in {w.lower() for w in words if w}:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    return re.compile(_trie_pattern(trie)) if trie else None


def _trie_pattern(node: dict) -> str:
    branches = [re.escape(ch) + _trie_pattern(child) for ch, child in node.items() if ch]
    if not branches:
        return ""
    group = f"(?:{'|'.join(branches)})" if len(branches) > 1 or "" in node else branches[0]
    return group + "?" if "" in node else group  # greedy: a longer word first, the word itself after


class Categorizer:
    def __init__(self, extra_terms: Mapping[str, Sequence[str]] | None = None, only: Sequence[str] = ()) -> None:
        """extra_terms add terms to a category (a new name adds a category); only keeps those categories."""
        lexicon = {name: list(terms) for name, terms in builtin_lexicon().items()}
        for name, terms in (extra_terms or {}).items():
            lexicon.setdefault(name, []).extend(terms)
        if only:
            unknown = [name for name in only if name not in lexicon]
            if unknown:
                raise ValueError(f"unknown categories {unknown} (known: {', '.join(lexicon)})")
            lexicon = {name: terms for name, terms in lexicon.items() if name in only}
        self.names = tuple(lexicon)
        self._of: dict[str, set[int]] = {}
        for i, terms in enumerate(lexicon.values()):
            for term in terms:
                self._of.setdefault(term.lower(), set()).add(i)
        self._terms = _alternation(self._of)
        patterns = _patterns()
        self._neutral = {w.lower() for w in patterns.get("neutral", ())}
        self._negative = _alternation((*patterns.get("negative", ()), *self._neutral))
        self._praise = _alternation(patterns.get("praise", ()))
        self._aspect_of: dict[str, int] = {}
        for section, words in patterns.items():
            name = section.removeprefix("aspect ").strip()
            if section.startswith("aspect ") and (name in self.names or name == "-"):
                for word in words:  # "-": a subject nobody answers for (天气)
                    self._aspect_of.setdefault(word.lower(), self.names.index(name) if name != "-" else -1)
        self._aspects = _alternation(self._aspect_of)
        self._default = self.names.index(_DEFAULT_ASPECT) if _DEFAULT_ASPECT in self.names else None
        self._any = _alternation((*self._of, *patterns.get("negative", ())))

    def categorize(self, text: str) -> list[str]:
        """The categories of one (normalised) text, in the configured order."""
        text = text.lower()
        if self._any is None or not self._any.search(text):
            return []
        found: set[int] = set()
        ends = [m.start() for m in _CLAUSE_END.finditer(text)] + [len(text)]
        done = -1
        for m in self._any.finditer(text):  # only clauses holding a term or a judgement need reading
            i = bisect.bisect_right(ends, m.start())
            if i > done:
                done = i
                found |= self._clause(text, ends[i - 1] + 1 if i else 0, ends[i] if i < len(ends) else len(text))
        return [self.names[i] for i in sorted(found) if i >= 0]

    def _clause(self, text: str, lo: int, hi: int) -> set[int]:
        """The categories of one clause (lo:hi); -1 for a subject nobody answers for (天气)."""
        terms = self._terms_in(text, lo, hi)
        judged = self._negative is not None and any(
            m.group() not in self._neutral and not _negated(text, max(lo, m.start() - _LOOKBACK), m.start())
            for m in self._negative.finditer(text, lo, hi))
        if terms:
            if not judged and self._praise is not None and self._praise.search(text, lo, hi):
                return set()  # 物流很快, 客服态度很好
            return terms
        if not judged:
            return set()
        aspect = self._aspects.search(text, lo, hi) if self._aspects is not None else None
        if aspect is not None:
            return {self._aspect_of[aspect.group()]}
        return {self._default} if self._default is not None else set()

    def _terms_in(self, text: str, lo: int, hi: int) -> set[int]:
        found: set[int] = set()
        if self._terms is None:
            return found
        negated_until = -_LOOKBACK  # a negation carries over to a term right after a negated one: 没有泄露过隐私
        for m in self._terms.finditer(text, lo, hi):
            if m.start() - negated_until <= 2 or _negated(text, max(lo, m.start() - _LOOKBACK), m.start()):
                negated_until = m.end()
            else:
                found |= self._of[m.group()]
        return found
