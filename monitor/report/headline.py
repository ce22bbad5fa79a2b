"""The report's opening lines: what changed against the previous period and why, in Chinese, from the figures
alone (nothing here is written by hand, so it can be wrong only when the figures are)."""

from __future__ import annotations

from monitor.report.data import BrandFigures, IncidentRow


def _pct(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _change(now: int, before: int) -> str:
    if not before:
        return "上期为零" if now else "与上期持平（均为零）"
    delta = (now - before) / before
    if abs(delta) < 0.05:
        return "与上期基本持平"
    return f"比上期{'增加' if delta > 0 else '减少'} {abs(delta):.0%}"


def headline(b: BrandFigures, incidents: list[IncidentRow]) -> str:
    sentences = [f"{b.name}本期声量 {b.total} 条，{_change(b.total, b.previous)}"]
    neg, neg_before = b.sentiment.get("negative", 0), b.previous_sentiment.get("negative", 0)
    share_now, share_before = _pct(neg, b.total), _pct(neg_before, b.previous)
    if share_now is not None:
        trend = "" if share_before is None else f"（上期 {share_before:.0%}）"
        sentences.append(f"负面 {neg} 条，占 {share_now:.0%}{trend}")
    # why: the sentiment whose count moved the most explains the change in volume
    deltas = {s: b.sentiment.get(s, 0) - b.previous_sentiment.get(s, 0) for s in ("negative", "neutral", "positive")}
    driver = max(deltas, key=lambda s: abs(deltas[s]))
    if b.previous and abs(deltas[driver]) >= max(3, 0.2 * b.previous) and (deltas[driver] > 0) == (b.total > b.previous):
        label = {"negative": "负面", "neutral": "中性", "positive": "正面"}[driver]
        why = f"变化主要来自{label}提及（{deltas[driver]:+d} 条）"
        if driver == "negative" and b.negative:
            top = b.negative[0]
            size = b.story_sizes.get(top.id, 1)
            why += f"，最大的负面话题是“{' '.join(top.text.split())[:24]}…”（{size} 条）"
            if b.negative_words:
                why += "，热词：" + "、".join(w for w, _ in b.negative_words[:3])
        sentences.append(why)
    if b.categories:
        sentences.append("负面集中在" + "、".join(f"{c}（{n}）" for c, n in b.categories[:3]))
    rivals = [(c, n) for c, n, _ in b.competitors if n]
    if rivals and b.total:
        total = b.total + sum(n for _, n in rivals)
        sentences.append(f"声量份额 {b.total / total:.0%}（竞品：" + "、".join(f"{c} {n / total:.0%}" for c, n in rivals)
                         + "）")
    mine = [r for r in incidents if r.incident.brand == b.name]
    if mine:
        sentences.append(f"发生 {len(mine)} 起事件")
    r = b.reply
    if r.get("negative"):
        sentences.append(f"需回复的负面 {r['negative']} 条，{r['within_sla']} 条在时限内回复或处理，"
                         f"{r['open']} 条仍待回复")
    return "；".join(sentences) + "。"
