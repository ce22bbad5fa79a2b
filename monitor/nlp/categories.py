"""What a complaint is about: 质量, 安全, 服务/售后, 物流, 价格/退款, 虚假宣传, 隐私/数据, 食品安全 (configurable).

A category applies when one of its terms (monitor/nlp/data/complaint_categories.txt plus the config's
nlp.categories.terms) occurs and is not negated: a negator (没有, 不, 并未 …) right before it, or with up to
two filler words between (没有出现过质量问题), cancels it. PR staff triage complaints by category, so only
mentions read as complaints (negative, or carrying crisis terms) get categories; the rest get none.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

_LEXICON = Path(__file__).parent / "data" / "complaint_categories.txt"
_NEGATORS = ("不", "没", "没有", "无", "毫无", "未", "并未", "并没有", "从未", "从没", "从来没有", "不是", "并非", "别",
             "不会", "不存在", "零", "免")
_FILLERS = ("任何", "什么", "过", "出现", "出现过", "发生", "发生过", "遇到", "遇到过", "一点", "太", "很", "算", "那么",
            "有", "再", "被", "一次", "丝毫", "半点", "啥")
_NEGATED = re.compile("(?:" + "|".join(sorted(_NEGATORS, key=len, reverse=True)) + ")(?:"
                      + "|".join(sorted(_FILLERS, key=len, reverse=True)) + "){0,2}$")
_LOOKBACK = 10  # characters before a term read for a negation


@functools.cache
def builtin_lexicon() -> dict[str, tuple[str, ...]]:
    """Category → terms, in the file's order."""
    lexicon: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in _LEXICON.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = lexicon.setdefault(line.strip("[]"), [])
        elif current is not None:
            current.extend(line.split())
    return {name: tuple(terms) for name, terms in lexicon.items()}


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
        terms = sorted(self._of, key=len, reverse=True)
        self._terms = re.compile("|".join(map(re.escape, terms))) if terms else None

    def categorize(self, text: str) -> list[str]:
        """The categories of one (normalised) text, in the configured order."""
        if self._terms is None:
            return []
        found: set[int] = set()
        text = text.lower()
        negated_until = -_LOOKBACK  # a negation carries over to a term right after a negated one: 没有泄露过隐私
        for m in self._terms.finditer(text):
            if m.start() - negated_until <= 2 or _NEGATED.search(text, max(0, m.start() - _LOOKBACK), m.start()):
                negated_until = m.end()
            else:
                found |= self._of[m.group()]
        return [self.names[i] for i in sorted(found)]
