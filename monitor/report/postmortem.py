"""`brandmon postmortem`: one incident from its first post to its resolution, as Markdown and HTML with
PNG charts beside it, for the review the PR team holds afterwards.

The first post (首条) is the earliest member of the largest negative story in the incident's window
(stories are the repost clusters), or the window's earliest negative mention when every story is single.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

from monitor.alerting.message import SEVERITY_ZH, STATE_ZH, figures_text
from monitor.clock import Clock
from monitor.config import Settings
from monitor.incident import Delivery, Event, Incident
from monitor.mention import Mention
from monitor.report.render import duration_zh
from monitor.reply.queue import first_official_reply
from monitor.store.base import Query, Store

LEAD = timedelta(hours=6)  # how far before the window the curve starts and the first post is looked for
SCAN = 20_000
TOP = 5
BUCKETS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1),
           timedelta(hours=3), timedelta(hours=6), timedelta(days=1))
EVENT_ZH = {"opened": "开启", "updated": "扩大", "notified": "已通知", "escalated": "升级", "acked": "确认",
            "assigned": "指派", "note": "备注", "resolved": "恢复", "resolved_notice": "恢复通知", "muted": "静音",
            "unmuted": "解除静音", "delivery_failed": "投递失败", "fallback": "备用通道"}
STATUS_ZH = {"sent": "已发送", "failed": "失败", "skipped": "跳过", "pending": "发送中", "retrying": "重试中"}


@dataclass
class PostMortem:
    incident: Incident
    events: list[Event]
    deliveries: list[Delivery]
    start: datetime
    end: datetime
    bucket: timedelta
    curve: list[tuple[datetime, int, int, float | None]]  # bucket start, all, negative, mean sentiment
    first_post: Mention | None
    top_posts: list[Mention]
    authors: list[tuple[str, int, int | None]]  # name, negative posts, followers
    stories: list[tuple[int, Mention]]  # size in the window, earliest member
    categories: list[tuple[str, int]]
    first_reply: Mention | None
    charts: dict[str, bytes] = field(default_factory=dict)

    @property
    def to_ack(self) -> timedelta | None:
        return self.incident.acked_at - self.incident.opened_at if self.incident.acked_at else None

    @property
    def to_resolve(self) -> timedelta | None:
        return self.incident.resolved_at - self.incident.opened_at if self.incident.resolved_at else None

    @property
    def to_first_reply(self) -> timedelta | None:
        return self.first_reply.published_at - self.incident.opened_at if self.first_reply else None


def _bucket(span: timedelta) -> timedelta:
    return next((b for b in BUCKETS if span / b <= 48), BUCKETS[-1])


def gather(settings: Settings, store: Store, incident: Incident, clock: Clock | None = None) -> PostMortem:
    now = (clock or Clock()).now()
    window_start = incident.window_start or incident.opened_at
    end = incident.resolved_at or now
    scan = store.find(Query(brand=incident.brand, start=window_start - LEAD, end=end + timedelta(seconds=1)),
                      limit=SCAN)
    negative = [m for m in scan if m.sentiment_label == "negative"]
    in_window = [m for m in negative if m.published_at >= window_start]
    stories: dict[str, list[Mention]] = {}
    for m in negative:
        stories.setdefault(m.cluster_id or m.id, []).append(m)
    sized = sorted(((sum(1 for x in members if x.published_at >= window_start), min(members, key=_when))
                    for members in stories.values()), key=lambda p: (-p[0], _when(p[1])))
    sized = [p for p in sized if p[0]]
    if sized and sized[0][0] > 1:
        first = sized[0][1]
    else:
        first = _onset(negative, in_window, window_start, incident.window_end or end)
    curve_start = min(window_start - LEAD / 6, first.published_at if first else window_start)
    bucket = _bucket(end - curve_start)
    counts = store.histogram(Query(brand=incident.brand, start=curve_start, end=end + timedelta(seconds=1)), bucket)
    negatives = dict(store.histogram(Query(brand=incident.brand, sentiments=("negative",), start=curve_start,
                                           end=end + timedelta(seconds=1)), bucket))
    scores: dict[datetime, list[float]] = {}
    for m in scan:
        if m.sentiment is not None:
            key = datetime.fromtimestamp(m.published_at.timestamp() // bucket.total_seconds()
                                         * bucket.total_seconds(), m.published_at.tzinfo)
            scores.setdefault(key, []).append(m.sentiment)
    curve = [(at, n, negatives.get(at, 0), (sum(scores[at]) / len(scores[at])) if scores.get(at) else None)
             for at, n in counts]
    top_posts = sorted(in_window, key=lambda m: (-_engagement(m), _when(m)))[:TOP]
    by_author = Counter(m.author.name or "匿名" for m in in_window)
    followers = {m.author.name or "匿名": m.author.followers for m in in_window}
    categories = Counter(c for m in in_window for c in (getattr(m, "categories", None) or []))
    return PostMortem(
        incident=incident, events=store.events(incident.id), deliveries=store.deliveries(incident.id),
        start=curve_start, end=end, bucket=bucket, curve=curve, first_post=first, top_posts=top_posts,
        authors=[(a, n, followers[a]) for a, n in by_author.most_common(TOP)], stories=sized[:TOP],
        categories=categories.most_common(),
        first_reply=first_official_reply(store, settings.config, incident.brand, window_start - LEAD, end))


def _onset(negative: list[Mention], in_window: list[Mention], start: datetime, end: datetime) -> Mention | None:
    """The window's earliest negative mention, walked back over earlier ones that came in the same run
    (no gap longer than the window, at least 15 minutes) or in a thread the window's posts are in."""
    if not in_window:
        return None
    gap = max(end - start, timedelta(minutes=15))
    threads = {m.thread_id for m in in_window if m.thread_id}
    first = min(in_window, key=_when)
    for m in sorted((m for m in negative if _when(m) < _when(first)), key=_when, reverse=True):
        if first.published_at - m.published_at <= gap or (m.thread_id and m.thread_id in threads):
            first = m
        else:
            break
    return first


def _when(m: Mention) -> tuple[datetime, str]:
    return (m.published_at, m.id)


def _engagement(m: Mention) -> int:
    e = m.engagement
    return (e.likes or 0) + (e.comments or 0) + (e.reposts or 0)


def draw_charts(pm: PostMortem, zone: ZoneInfo) -> dict[str, bytes]:
    """volume: mentions per bucket, negative highlighted; sentiment: the mean score per bucket."""
    from monitor.report.charts import COLOURS, _render, cjk_font, labeller_for

    labels = labeller_for([pm.incident.brand], cjk_font())
    fmt = "%m-%d" if pm.bucket >= timedelta(days=1) else "%H:%M"
    ticks = [at.astimezone(zone).strftime(fmt) for at, *_ in pm.curve]
    step = max(1, len(ticks) // 12)
    zh = labels.font is not None

    def volume(ax) -> None:
        xs = range(len(ticks))
        ax.bar(xs, [n for _, n, _, _ in pm.curve], color=COLOURS["neutral"], label="全部" if zh else "all")
        ax.bar(xs, [neg for _, _, neg, _ in pm.curve], color=COLOURS["negative"],
               label=labels.words["negative"])
        if pm.first_post is not None:
            first = pm.first_post.published_at
            idx = next((i for i, (at, *_) in enumerate(pm.curve) if at <= first < at + pm.bucket), None)
            if idx is not None:
                ax.axvline(idx, color="#333", linestyle=":", label="首条" if zh else "first post")
        ax.set_xticks(list(xs)[::step], ticks[::step], fontsize=7)
        ax.set_title(("声量（每 %s）" if zh else "volume (per %s)") % _bucket_label(pm.bucket, zh))
        ax.legend(fontsize=8)

    def sentiment(ax) -> None:
        points = [(i, s) for i, (_, _, _, s) in enumerate(pm.curve) if s is not None]
        ax.plot([i for i, _ in points], [s for _, s in points], marker="o", color=COLOURS["negative"])
        ax.axhline(0.5, color=COLOURS["neutral"], linewidth=0.8)
        ax.set_ylim(0, 1)
        ax.set_xlim(-0.5, len(ticks) - 0.5)
        ax.set_xticks(list(range(len(ticks)))[::step], ticks[::step], fontsize=7)
        ax.set_title("平均情感得分（0 负面 — 1 正面）" if zh else "mean sentiment (0 negative - 1 positive)")

    return {"volume": _render(labels, volume), "sentiment": _render(labels, sentiment, height=2.5)}


def _bucket_label(bucket: timedelta, zh: bool) -> str:
    minutes = int(bucket.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} 分钟" if zh else f"{minutes} min"
    hours = minutes // 60
    return (f"{hours} 小时" if zh else f"{hours} h") if hours < 24 else ("天" if zh else "day")


def _local(dt: datetime | None, zone: ZoneInfo) -> str:
    return dt.astimezone(zone).strftime("%Y-%m-%d %H:%M") if dt else "—"


def _cell(text: str | None, limit: int = 80) -> str:
    flat = " ".join((text or "").split()).replace("|", "\\|")
    return flat[:limit] + ("…" if len(flat) > limit else "")


def _since_open(pm: PostMortem, delta: timedelta | None) -> str:
    if delta is None:
        return "—"
    return duration_zh(delta) if delta >= timedelta(0) else f"开启前 {duration_zh(-delta)}"


def markdown(pm: PostMortem, zone: ZoneInfo, chart_files: dict[str, str]) -> str:
    inc = pm.incident
    out = [f"# 复盘：{inc.title}", "",
           f"- 事件：{inc.id}（{SEVERITY_ZH.get(inc.severity, inc.severity)}，{STATE_ZH.get(inc.state, inc.state)}）",
           f"- 品牌：{inc.brand}　规则：{inc.rule}　负责人：{inc.assignee or '未指派'}",
           f"- 开启：{_local(inc.opened_at, zone)}　确认：{_local(inc.acked_at, zone)}（{inc.acked_by or '—'}）"
           f"　恢复：{_local(inc.resolved_at, zone)}（时区 {zone.key}）"]
    if figures := figures_text(inc.figures):
        out.append(f"- 指标：{figures}")
    out += ["", "## 响应时间", "", "| 指标 | 用时 |", "| --- | --- |",
            f"| 确认用时 | {duration_zh(pm.to_ack)} |", f"| 恢复用时 | {duration_zh(pm.to_resolve)} |",
            f"| 首次官方回复 | {_since_open(pm, pm.to_first_reply)} |", ""]
    if pm.first_reply:
        out += [f"首次官方回复：{_local(pm.first_reply.published_at, zone)} {pm.first_reply.author.name}："
                f"{_cell(pm.first_reply.text)} （{pm.first_reply.url}）", ""]
    out += ["## 首条", ""]
    if pm.first_post:
        f = pm.first_post
        out += [f"{_local(f.published_at, zone)}，{f.author.name or '匿名'}"
                + (f"（{f.author.followers} 粉丝）" if f.author.followers else "") + f"，{f.platform}/{f.source}：",
                "", f"> {_cell(f.text, 300)}", "", f"链接：{f.url}", ""]
    else:
        out += ["窗口内没有负面提及。", ""]
    out += ["## 声量与情感曲线", ""]
    out += [f"![{name}]({path})" for name, path in chart_files.items()] + [""]
    out += ["## 热门帖子", "", "| 时间 | 作者 | 互动 | 内容 | 链接 |", "| --- | --- | --- | --- | --- |"]
    out += [f"| {_local(m.published_at, zone)} | {_cell(m.author.name or '匿名', 20)} | {_engagement(m)} | "
            f"{_cell(m.text)} | {m.url} |" for m in pm.top_posts]
    out += ["", "## 主要作者", "", "| 作者 | 负面帖数 | 粉丝 |", "| --- | --- | --- |"]
    out += [f"| {_cell(a, 20)} | {n} | {f if f is not None else '—'} |" for a, n, f in pm.authors]
    out += ["", "## 话题（聚类）", "", "| 条数 | 最早 | 内容 | 链接 |", "| --- | --- | --- | --- |"]
    out += [f"| {n} | {_local(m.published_at, zone)} | {_cell(m.text)} | {m.url} |" for n, m in pm.stories]
    out += ["", "## 问题类别", ""]
    out += [f"- {c}：{n}" for c, n in pm.categories] or ["（无类别）"]
    out += ["", "## 通知", "", "| 时间 | 步骤 | 通道 | 结果 | 尝试 |", "| --- | --- | --- | --- | --- |"]
    out += [f"| {_local(d.at, zone)} | {d.step} | {d.channel} | {STATUS_ZH.get(d.status, d.status)}"
            f"{('：' + _cell(d.error, 40)) if d.error else ''} | {d.attempts} |" for d in pm.deliveries]
    out += ["", "## 时间线（谁在何时确认、指派、备注）", "", "| 时间 | 事件 | 详情 | 操作人 |", "| --- | --- | --- | --- |"]
    out += [f"| {_local(e.at, zone)} | {EVENT_ZH.get(e.kind, e.kind)} | {_cell(e.detail, 120)} | {e.actor or '—'} |"
            for e in pm.events]
    return "\n".join(out) + "\n"


def html(markdown_text: str, title: str) -> str:
    """A plain, dependency-free rendering: headings, lists, quotes, tables, images and links."""
    import re

    def inline(text: str) -> str:
        text = escape(text)
        return re.sub(r"(https?://[^\s<|）)]+)", r"<a href='\1'>\1</a>", text)

    body, table = [], False
    for line in markdown_text.splitlines():
        if line.startswith("| ") and not set(line) <= set("|- "):
            cells = [c.strip().replace("\\|", "|") for c in line.strip("|").split(" | ")]
            if not table:
                body.append("<table><tr>" + "".join(f"<th>{escape(c)}</th>" for c in cells) + "</tr>")
                table = True
            else:
                body.append("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in cells) + "</tr>")
            continue
        if set(line) <= set("|- ") and line:
            continue
        if table:
            body.append("</table>")
            table = False
        if m := re.match(r"!\[(.*)\]\((.*)\)", line):
            body.append(f"<p><img alt='{escape(m[1])}' src='{escape(m[2])}' style='max-width:100%'></p>")
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{escape(line[level:].strip())}</h{level}>")
        elif line.startswith("- "):
            body.append(f"<li>{inline(line[2:])}</li>")
        elif line.startswith("> "):
            body.append(f"<blockquote>{inline(line[2:])}</blockquote>")
        elif line:
            body.append(f"<p>{inline(line)}</p>")
    if table:
        body.append("</table>")
    return ("<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{escape(title)}</title><style>body{{font-family:sans-serif;max-width:60rem;margin:1rem auto;"
            "padding:0 1rem}} table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:.2rem .4rem;"
            "font-size:.9rem}} blockquote{{border-left:3px solid #d9534f;margin:0;padding-left:.8rem}}</style>"
            "</head><body>" + "\n".join(body) + "</body></html>")


def write(pm: PostMortem, zone: ZoneInfo, out: Path) -> list[Path]:
    """FILE.md, FILE.html and FILE-volume.png, FILE-sentiment.png beside them; returns what was written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    stem = out.with_suffix("")
    written = []
    files = {}
    for name, png in draw_charts(pm, zone).items():
        path = stem.parent / f"{stem.name}-{name}.png"
        path.write_bytes(png)
        files[name] = path.name
        written.append(path)
    text = markdown(pm, zone, files)
    md = stem.with_suffix(".md")
    md.write_text(text, encoding="utf-8")
    page = stem.with_suffix(".html")
    page.write_text(html(text, f"复盘 {pm.incident.id}"), encoding="utf-8")
    return [md, page, *written]
