"""Crisis terms judged one by one against the brand's own share of each (keyword rule, `against: terms`).

A brand with 400 mentions a day hears 投诉 and 退款 every hour, and on 双11 more of everything; 维权,
召回 or 集体诉讼 it may never have heard. Pooling all crisis words into one count (`against: baseline`)
lets the everyday ones drown a slow burn of rare ones for half a day. Here each term has its own normal
share of everything the brand hears (counted the rule's way: stories, authors or mentions), tallied day
by day in the store over `history`. In a window, a term's expected count is that share times what the
brand hears now, so a promotion or a launch that brings more of everything brings its complaint words
with it. Terms at least `ratio` times above their expectation are pooled, rarest first (the rarest
alone, then with the next commonest…, so an everyday word that came along cannot drown a rare one);
words said together in one post are one event, expected as often as their commonest; the window fires
when the stories carrying a pool reach `min_count` and a count at the pooled expectation reaches that
with probability ≤ `p_value` — a negative binomial, widened by `dispersion`: complaints come in clumps (five
退款 in an hour where one is usual is a bad afternoon), while two stories of a word never heard are
as unlikely either way. Each term counts as heard `pseudo_count` more times than it was, so a word
never heard is rare, not impossible, and a small brand's chance of three such stories in a day stays fair.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from scipy.stats import nbinom, poisson

from monitor.config.rules import KeywordRule
from monitor.detect.finding import RuleContext, Scope
from monitor.store.base import Query
from monitor.store.matching import joined, phrase

DAY = 86400
LAG = 3600  # a day is tallied an hour after it is outside every window, so late crawls count in it
ROWS_PER_DAY = 10_000  # a brand's crisis-word mentions in one day; more are tallied as this many


@dataclass(frozen=True)
class TermVerdict:
    window: Query
    count: int
    expected: float
    p: float
    terms: tuple[str, ...]  # the surging terms, most frequent first


def judge(rule: KeywordRule, scope: Scope, matching: Scope, ctx: RuleContext) -> TermVerdict | None:
    """The judged window with the smallest p-value whose surging terms fire, or None (also while warming up)."""
    everything = replace(scope, query=replace(matching.query, sentiments=(), keywords=(), crisis=False, categories=()))
    tally = _tally(rule, everything, matching, ctx)
    if tally is None:
        return None
    total, heard = tally
    widest = max(rule.judged)
    rows = _units(rule, matching.window(ctx.now - widest, ctx.now), ctx)
    best = None
    for span in rule.judged:
        start = ctx.now - span
        carrying: dict[str, set] = {}
        for at, unit, terms in rows:
            if at >= start:
                for term in terms:
                    carrying.setdefault(term, set()).add(unit)
        if not carrying:
            continue
        volume = ctx.store.count(everything.window(start, ctx.now))
        expected = {t: (heard.get(t, 0) + rule.pseudo_count) / total * volume for t in carrying}
        surging = sorted((t for t in carrying if len(carrying[t]) >= rule.ratio * expected[t]),
                         key=lambda t: (expected[t], t))
        said = [terms for at, _, terms in rows if at >= start]
        for k in range(1, len(surging) + 1):  # the rarest words alone, then with the next commonest…
            pooled_terms = surging[:k]
            units = set().union(*(carrying[t] for t in pooled_terms))
            if len(units) < rule.min_count:
                continue
            pooled = _pooled(pooled_terms, expected, said)
            p = _tail(len(units), pooled, rule.dispersion)
            if p <= rule.p_value and (best is None or p < best.p):
                order = tuple(sorted(pooled_terms, key=lambda t: (-len(carrying[t]), t)))
                best = TermVerdict(matching.window(start, ctx.now), len(units), pooled, p, order)
    return best


def _pooled(surging: list[str], expected: dict[str, float], said: list[list[str]]) -> float:
    """The expected count of stories carrying any surging term. Words said together in one post
    ("集体维权，要求召回") are one event, not two: terms that share a post in the window form a group,
    and a group is expected as often as its commonest word — summing them would count each such post
    once per word and let a slow burn of two-word posts look twice as ordinary as it is."""
    group = {t: t for t in surging}

    def root(t: str) -> str:
        while group[t] != t:
            group[t] = group[group[t]]
            t = group[t]
        return t

    for terms in said:
        hit = [t for t in terms if t in group]
        for t in hit[1:]:
            group[root(t)] = root(hit[0])
    most: dict[str, float] = {}
    for t in surging:
        most[root(t)] = max(most.get(root(t), 0.0), expected[t])
    return sum(most.values())


def _tail(count: int, expected: float, dispersion: float) -> float:
    """P(X ≥ count) for X with mean `expected` and variance expected + dispersion · expected²."""
    if dispersion <= 0:
        return float(poisson.sf(count - 1, expected))
    size = 1 / dispersion
    return float(nbinom.sf(count - 1, size, size / (size + expected)))


def _units(rule: KeywordRule, window: Query, ctx: RuleContext) -> list[tuple[datetime, str, list[str]]]:
    """(published, unit, terms) of each matching mention: the unit is its story, author or itself; the terms
    are its crisis terms, or which of the rule's own keywords it says (matched as the stores match them)."""
    field = {"stories": "cluster_id", "authors": "author.id", "mentions": "id"}[rule.count]
    said = ("title", "text") if rule.keywords else ("crisis_terms",)
    rows = ctx.store.find_fields(replace(window, unique=False, authors=False), ("published_at", "id", field, *said),
                                 limit=ROWS_PER_DAY)
    wanted = [(k, f" {phrase(k)} ") for k in rule.keywords]
    out = []
    for published, mention_id, unit, *content in rows:
        if rule.keywords:
            text = f" {joined(' '.join(c or '' for c in content))} "
            terms = [k for k, p in wanted if p.strip() and p in text]
        else:
            terms = json.loads(content[0]) if isinstance(content[0], str) else content[0] or []  # SQLite: JSON text
        unit = unit if unit is not None or rule.count == "authors" else mention_id
        out.append((datetime.fromisoformat(published), unit or "", list(terms)))
    return out


def _tally(rule: KeywordRule, everything: Scope, matching: Scope, ctx: RuleContext) -> tuple[float, dict[str, int]] | None:
    """(everything the brand heard, how much of it carried each term) over `history`, the newest day
    being the last one outside every window; None until the brand has `warmup` of history. Kept per day
    in the store, so each day is read once."""
    key = f"keyword_terms:{rule.name}:{everything.brand}:{everything.group or ''}"
    signature = hashlib.sha1(json.dumps([repr(matching.query), repr(everything.query)], ensure_ascii=False)
                             .encode()).hexdigest()[:12]
    state = ctx.store.get_state(key)
    days = state["days"] if state and state.get("signature") == signature else []
    now = ctx.now.timestamp()
    horizon = math.floor((now - rule.history.total_seconds()) / DAY) * DAY
    until = math.floor((now - max(rule.judged).total_seconds() - LAG) / DAY) * DAY
    days = [d for d in days if d[0] >= horizon]
    day = max(days[-1][0] + DAY, horizon) if days else horizon
    changed = False
    while day < until:
        start, end = _dt(day), _dt(day + DAY)
        total = ctx.store.count(everything.window(start, end))
        per_term: dict[str, set] = {}
        for _, unit, terms in _units(rule, matching.window(start, end), ctx):
            for term in terms:
                per_term.setdefault(term, set()).add(unit)
        days.append([day, total, {t: len(u) for t, u in per_term.items()}])
        day += DAY
        changed = True
    if changed or not state:
        ctx.store.put_state(key, {"signature": signature, "days": days})
    heard_days = [d for d in days if d[1]]
    if not heard_days or now - heard_days[0][0] < rule.warmup.total_seconds():
        return None
    total = sum(d[1] for d in days)
    heard: dict[str, int] = {}
    for _, _, terms in days:
        for term, n in terms.items():
            heard[term] = heard.get(term, 0) + n
    return float(total), heard


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)

