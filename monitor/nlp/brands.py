"""Which configured brands a text is about.

A brand is mentioned when one of its names (name or alias) occurs outside the spans its exclusions
cover (小米粥 is not 小米) and, when the brand has a boolean query, the query holds as well; the query's
terms are subject to the same exclusions. Everything is compared on normalised, lower-cased text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from monitor.config.model import BrandConfig
from monitor.nlp.normalize import fold
from monitor.nlp.query import Node, Text, parse_query


def _alternation(terms: Iterable[str]) -> re.Pattern | None:
    """Longest first; a term that starts or ends with a Latin letter must not continue a Latin word."""
    folded = sorted({f for f in (fold(t) for t in terms) if f}, key=len, reverse=True)
    if not folded:
        return None
    parts = [("(?<![a-z])" if t[0].isascii() and t[0].isalpha() else "") + re.escape(t)
             + ("(?![a-z])" if t[-1].isascii() and t[-1].isalpha() else "") for t in folded]
    return re.compile("|".join(parts))


class _Brand:
    def __init__(self, brand: BrandConfig) -> None:
        self.name = brand.name
        self.names = _alternation(brand.terms)
        self.exclude = _alternation(brand.exclude)
        self.query: Node | None = parse_query(brand.query) if brand.query else None

    def mentioned_in(self, folded: str) -> bool:
        hits = [m.span() for m in self.names.finditer(folded)] if self.names else []
        if not hits:
            return False
        blocked = [m.span() for m in self.exclude.finditer(folded)] if self.exclude else []
        if not any(not any(s <= a and b <= e for s, e in blocked) for a, b in hits):
            return False
        return self.query is None or self.query.matches(Text(folded, blocked))


class BrandMatcher:
    def __init__(self, brands: Iterable[BrandConfig]) -> None:
        self._brands = [_Brand(b) for b in brands]

    def match(self, text: str) -> list[str]:
        """Brand names mentioned in a raw text."""
        return self.match_folded(fold(text))

    def match_folded(self, folded: str) -> list[str]:
        """Brand names mentioned in a text already normalised and lower-cased (see normalize.fold)."""
        return [b.name for b in self._brands if b.mentioned_in(folded)]
