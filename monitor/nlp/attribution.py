"""Whose crisis is it: a crisis term belongs to the brand its clause is about, not to every brand the post names.

"瑞幸起火了，还是青禾咖啡好" names both coffee brands, but the fire is 瑞幸's: 青禾咖啡's incident must not
hear it. A clause that names brands (configured ones, or competitors) is about those it names; a clause
that names nobody goes on about the brands named last ("喜茶门店爆炸，现场有人受伤": both are 喜茶's),
and one before any name is about the first brands named ("视频曝光：喜茶门店爆炸"). A post that names
nobody in any clause (an official account's reply, a handle match) is about its own brands. A term of a
clause that names only competitors is nobody's we watch. Clauses end at Chinese and Latin punctuation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from monitor.config.model import BrandConfig
from monitor.nlp.brands import _alternation
from monitor.nlp.normalize import fold

_CLAUSE = re.compile(r"[，,。.！!？?；;：:\n…~～]+")
POST = None  # "the post's own brands": crisis terms of a text that names no brand in any clause


class CrisisAttribution:
    def __init__(self, brands: Iterable[BrandConfig]) -> None:
        brands = tuple(brands)
        self._brands_of: dict[str, set[str]] = {}  # a folded name → the configured brands it names
        for b in brands:
            for term in b.terms:
                self._brands_of.setdefault(fold(term), set()).add(b.name)
        competitors = {fold(c) for b in brands for c in b.competitors} - set(self._brands_of)
        self._names = _alternation({*self._brands_of, *competitors}, noisy=False)

    def said_of(self, folded: str, terms: list[str]) -> dict[str | None, list[str]]:
        """A normalised, lower-cased text's crisis terms by the configured brand they are said of (POST:
        the post's own brands); terms said only of competitors are left out."""
        if not terms:
            return {}
        if self._names is None:
            return {POST: list(terms)}
        clauses = []
        for clause in _CLAUSE.split(folded):
            named = {m.group() for m in self._names.finditer(clause)}
            ours = set().union(*(self._brands_of.get(n, ()) for n in named)) if named else None
            clauses.append((clause, ours))
        about = next((ours for _, ours in clauses if ours is not None), None)  # before any name: the first named
        subjects = []
        for _, ours in clauses:
            about = ours if ours is not None else about
            subjects.append((POST,) if about is None else about)
        said: dict[str | None, list[str]] = {}
        for term in terms:
            for (clause, _), subject in zip(clauses, subjects):
                if term in clause:
                    for brand in subject:
                        if term not in said.setdefault(brand, []):
                            said[brand].append(term)
        return said


def owned(said: dict[str | None, list[str]], brands: list[str]) -> tuple[list[str], list[str]]:
    """Of a mention with these brands: its crisis terms (said of any of them) and the brands they are said of."""
    if POST in said:
        own = list(brands)
    else:
        own = [b for b in brands if b in said]
    terms = dict.fromkeys(t for key in (POST, *own) for t in said.get(key, ()))
    return list(terms), own
