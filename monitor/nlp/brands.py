"""Which configured brands a text is about: any alias, minus spans covered by an exclusion (小米粥 is not 小米)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from monitor.config.model import BrandConfig


def _alternation(terms: Iterable[str]) -> re.Pattern | None:
    terms = sorted({t.lower() for t in terms if t}, key=len, reverse=True)
    return re.compile("|".join(re.escape(t) for t in terms)) if terms else None


class BrandMatcher:
    def __init__(self, brands: Iterable[BrandConfig]) -> None:
        self._brands = [(b.name, _alternation(b.terms), _alternation(b.exclude)) for b in brands]

    def match(self, text: str) -> list[str]:
        """Brand names mentioned in text, matched case-insensitively."""
        lowered = text.lower()
        found = []
        for name, terms, exclude in self._brands:
            hits = [m.span() for m in terms.finditer(lowered)]
            if not hits:
                continue
            if exclude is not None:
                blocked = [m.span() for m in exclude.finditer(lowered)]
                hits = [h for h in hits if not any(s <= h[0] and h[1] <= e for s, e in blocked)]
            if hits:
                found.append(name)
        return found
