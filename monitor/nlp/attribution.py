"""Whose crisis is it: crisis terms said of a competitor in a comparison are not our brand's crisis.

"华为出事了，还是小米好" names 小米, but its crisis is 华为's. A crisis term is kept when its clause names
one of the configured brands, or names no competitor at all (most posts name only us); it is dropped
when its clause names only competitors. Clauses end at Chinese and Latin punctuation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from monitor.config.model import BrandConfig
from monitor.nlp.brands import _alternation

_CLAUSE = re.compile(r"[，,。.！!？?；;：:\n…~～]+")


class CrisisAttribution:
    def __init__(self, brands: Iterable[BrandConfig]) -> None:
        brands = tuple(brands)
        ours = {t for b in brands for t in b.terms}
        self._ours = _alternation(ours, noisy=False)
        self._others = _alternation({c for b in brands for c in b.competitors} - ours, noisy=False)

    def own(self, folded: str, terms: list[str]) -> list[str]:
        """The crisis terms of a normalised, lower-cased text that are about a configured brand."""
        if not terms or self._others is None or not self._others.search(folded):
            return terms
        kept: set[str] = set()
        for clause in _CLAUSE.split(folded):
            found = [t for t in terms if t in clause]
            if found and (self._ours is not None and self._ours.search(clause) or not self._others.search(clause)):
                kept.update(found)
        return [t for t in terms if t in kept]
