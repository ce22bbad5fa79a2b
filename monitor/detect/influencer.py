"""Influencer: a matching (by default negative) mention whose reach or engagement is unusual for the brand.

An author with 100k followers complaining is news for a small tea shop and a daily event for a phone
maker. With `relative` (the default), a mention counts when its followers (engagement) reach `factor`
times the level that only 1 − `quantile` of the brand's matching mentions reached over `history`; the
fixed minimums stay a floor. The title says which bar fired: 粉丝 or 互动.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from monitor.config.rules import InfluencerRule
from monitor.detect.finding import Finding, RuleContext, make_finding, minutes, scopes
from monitor.mention import Mention
from monitor.store.base import Query

CANDIDATES = 5  # the most engaged over each floor: enough to find the one that matters


def engagement(m: Mention) -> int:
    e = m.engagement
    return (e.likes or 0) + (e.comments or 0) + (e.reposts or 0)


@dataclass(frozen=True)
class Bar:
    kind: str  # "followers" or "engagement"
    floor: int

    def value(self, m: Mention) -> int:
        return (m.author.followers or 0) if self.kind == "followers" else engagement(m)

    def narrow(self, query: Query, at_least: int) -> Query:
        key = "min_followers" if self.kind == "followers" else "min_engagement"
        return replace(query, **{key: at_least})

    @property
    def label(self) -> str:
        return "粉丝" if self.kind == "followers" else "互动"


def _bars(rule: InfluencerRule) -> list[Bar]:
    bars = []
    if rule.min_followers is not None:
        bars.append(Bar("followers", rule.min_followers))
    if rule.min_engagement is not None:
        bars.append(Bar("engagement", rule.min_engagement))
    return bars


def _unusual(rule: InfluencerRule, past: Query, total: int, ctx: RuleContext, bar: Bar, m: Mention) -> float | None:
    """The share of the brand's past matching mentions at least value/factor (None: not unusual)."""
    if not rule.relative:
        return 0.0
    if not total:
        return None
    above = ctx.store.count(bar.narrow(past, max(1, int(bar.value(m) / rule.factor))))
    share = above / total
    return share if share <= 1 - rule.quantile else None


def evaluate(rule: InfluencerRule, ctx: RuleContext) -> list[Finding]:
    findings = []
    for scope in scopes(rule, ctx):
        window = scope.window(ctx.now - rule.window, ctx.now)
        fired: dict[str, tuple[Mention, Bar, float]] = {}
        past, total = None, 0
        for bar in _bars(rule):
            for m in ctx.store.find(bar.narrow(window, bar.floor), limit=CANDIDATES, order="engagement"):
                if m.id in fired:
                    continue
                if past is None and rule.relative:  # warm once the brand has history older than the warm-up
                    past = scope.window(ctx.now - rule.history, ctx.now - rule.window)
                    warm = ctx.store.count(scope.window(ctx.now - rule.history, ctx.now - rule.warmup)) > 0
                    total = ctx.store.count(past) if warm else 0
                share = _unusual(rule, past, total, ctx, bar, m)
                if share is not None:
                    fired[m.id] = (m, bar, share)
        if not fired:
            continue
        top, bar, share = min(fired.values(), key=lambda f: (f[2], -f[1].value(f[0])))
        who = top.author.name or "匿名作者"
        value = bar.value(top)
        figures = {"count": len(fired), "window_minutes": minutes(rule.window), "author": who, "fired": bar.kind,
                   bar.kind: value, "followers": top.author.followers or 0, "engagement": engagement(top)}
        rarity = ""
        if rule.relative:
            figures["share_above"] = round(share, 5)
            rarity = f"，该品牌同类帖中前 {max(share, 0.0001):.2%}" if share else "，该品牌从未有过"
        what = "大V发声" if bar.kind == "followers" else "高互动负面帖"
        title = f"{scope.label} {what}：{who}（{bar.label} {value:,}{rarity}）" + (f"等 {len(fired)} 条" if len(fired) > 1 else "")
        finding = make_finding(rule, scope, ctx, window, title, figures)
        finding.examples = [f[0] for f in sorted(fired.values(), key=lambda f: f[1].value(f[0]), reverse=True)][:rule.examples]
        findings.append(finding)
    return findings
