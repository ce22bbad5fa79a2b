"""A report as an HTML e-mail (charts by reference) and as Markdown, Chinese first, times in the configured zone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from monitor.alerting.message import SEVERITY_ZH, STATE_ZH
from monitor.report.data import BrandFigures, ReportData
from monitor.report.headline import headline
from monitor.report.period import TITLES

SENTIMENT_ZH = {"negative": "负面", "neutral": "中性", "positive": "正面"}
ImageSource = Callable[[str], str]


def duration_zh(delta: timedelta | None) -> str:
    if delta is None:
        return "—"
    minutes = round(delta.total_seconds() / 60)
    if minutes < 60:
        return f"{minutes} 分钟"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} 小时 {minutes} 分钟" if minutes else f"{hours} 小时"


def change_zh(brand: BrandFigures) -> str:
    return "—" if brand.change is None else f"{brand.change:+.0%}"


def share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "—"


def chart_prefix(brands: list[str], brand: str) -> str:
    """Chart files are named by brand position (b1-volume.png): file names stay ASCII for every mail client."""
    return f"b{brands.index(brand) + 1}"


@dataclass
class Report:
    data: ReportData
    zone: ZoneInfo
    charts: dict[str, bytes]
    legend: dict[str, str]
    generated_at: datetime

    @property
    def title(self) -> str:
        p = self.data.period
        last = p.end - timedelta(seconds=1)
        fmt = "%Y-%m-%d %H:%M" if p.hourly else "%Y-%m-%d"
        return (f"{TITLES[p.name]}：{p.start.astimezone(self.zone).strftime(fmt)} 至 "
                f"{(p.end if p.hourly else last).astimezone(self.zone).strftime(fmt)}")

    def chart_prefix(self, brand: str) -> str:
        return chart_prefix([b.name for b in self.data.brands], brand)

    def charts_of(self, brand: str) -> list[str]:
        return [name for name in self.charts if name.startswith(f"{self.chart_prefix(brand)}-")]

    # Markdown
    def markdown(self, image: ImageSource | None = None) -> str:
        d = self.data
        out = [f"# {self.title}", "", f"时区：{self.zone.key}；生成于 {self._local(self.generated_at)}", "",
               "## 摘要", ""] + [f"- {headline(b, d.incidents)}" for b in d.brands] + ["",
               "## 概览", "", "| 品牌 | 声量 | 环比 | 负面 | 负面占比 | 正面 |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for b in d.brands:
            out.append(f"| {b.name} | {b.total} | {change_zh(b)} | {b.sentiment['negative']} | "
                       f"{share(b.sentiment['negative'], b.total)} | {b.sentiment['positive']} |")
        for b in d.brands:
            out += ["", f"## {b.name}", ""]
            if image is not None:
                out += [f"![{name}]({image(name)})" for name in self.charts_of(b.name)] + [""]
            if b.competitors:
                total = b.total + sum(n for _, n, _ in b.competitors)
                out += ["### 竞品对比", "", "| 品牌 | 声量 | 占比 | 负面 | 负面占比 |", "| --- | ---: | ---: | ---: | ---: |"]
                out += [f"| {name} | {n} | {share(n, total)} | {neg} | {share(neg, n)} |"
                        for name, n, neg in [(b.name, b.total, b.sentiment["negative"]), *b.competitors]] + [""]
            for title, rows in self._breakdowns(b):
                out += [f"### {title}", "", "| 项 | 数量 |", "| --- | ---: |"]
                out += [f"| {k} | {v} |" for k, v in rows] or ["| 无 | 0 |"]
                out.append("")
            out += ["### 主要作者", "", "| 作者 | 提及 | 粉丝 |", "| --- | ---: | ---: |"]
            out += [f"| {a} | {n} | {f if f is not None else '—'} |" for a, n, f in b.authors] or ["| 无 | 0 | — |"]
            out += ["", "### 回复时效", "", self._reply_line(b), ""]
            out += ["### 主要来源", ""]
            out += [f"- {name}：{n} 条" for name, n in b.sources] or ["- 无"]
            out += ["", "### 热词", "", "、".join(f"{w}（{n}）" for w, n in b.words) or "无", "",
                    "### 负面话题 Top 5（转发合并计）", ""]
            for i, m in enumerate(b.negative, 1):
                text = m.text.replace("\n", " ")[:100]
                out.append(f"{i}. （{b.story_sizes.get(m.id, 1)} 条）[{m.platform}] {m.author.name or '匿名'}"
                           f"（{self._local(m.published_at)}）：{text} <{m.url}>")
            if not b.negative:
                out.append("无")
        out += ["", "## 事件", ""] + self._incident_lines_md()
        if self.legend:
            out += ["", "图中代号：" + "，".join(f"{k} = {v}" for k, v in self.legend.items())]
        return "\n".join(out) + "\n"

    @staticmethod
    def _breakdowns(b: BrandFigures) -> list[tuple[str, list[tuple[str, int]]]]:
        return [("平台分布", b.platforms), ("地区分布（IP 属地）", b.regions), ("负面问题类别", b.categories)]

    @staticmethod
    def _reply_line(b: BrandFigures) -> str:
        r = b.reply
        if not r.get("negative"):
            return "本期没有需回复的负面提及。"
        return (f"需回复 {r['negative']} 条：官方回复 {r['answered']} 条，标记处理 {r['handled']} 条，"
                f"时限内 {r['within_sla']} 条（{share(r['within_sla'], r['negative'])}），超时 {r['breached']} 条，"
                f"仍待回复 {r['open']} 条。")

    def _incident_lines_md(self) -> list[str]:
        rows = self.data.incidents
        if not rows:
            return ["本期无事件。"]
        out = [f"共 {len(rows)} 起；确认用时中位数 {duration_zh(self.data.median_to_ack())}，"
               f"恢复用时中位数 {duration_zh(self.data.median_to_resolve())}。", "",
               "| 编号 | 品牌 | 级别 | 标题 | 开始 | 确认用时 | 恢复用时 | 状态 |",
               "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for r in rows:
            i = r.incident
            out.append(f"| {i.id} | {i.brand} | {SEVERITY_ZH.get(i.severity, i.severity)} | "
                       f"{i.title.replace('|', '∣')} | {self._local(i.opened_at)} | {duration_zh(r.to_ack)} | "
                       f"{duration_zh(r.to_resolve)} | {STATE_ZH.get(i.state, i.state)} |")
        return out

    # HTML
    def html(self, image: ImageSource) -> str:
        d = self.data
        parts = [f"<h1>{escape(self.title)}</h1>",
                 f"<p class='meta'>时区：{escape(self.zone.key)}；生成于 {self._local(self.generated_at)}</p>",
                 "<h2>摘要</h2>", "<ul>" + "".join(f"<li>{escape(headline(b, d.incidents))}</li>" for b in d.brands)
                 + "</ul>", "<h2>概览</h2>",
                 _table(["品牌", "声量", "环比", "负面", "负面占比", "正面"],
                        [[b.name, b.total, change_zh(b), b.sentiment["negative"],
                          share(b.sentiment["negative"], b.total), b.sentiment["positive"]] for b in d.brands])]
        for b in d.brands:
            parts.append(f"<h2>{escape(b.name)}</h2>")
            parts += [f"<p><img src='{escape(image(name))}' alt='{escape(name)}' style='max-width:100%'></p>"
                      for name in self.charts_of(b.name)]
            if b.competitors:
                total = b.total + sum(n for _, n, _ in b.competitors)
                parts += ["<h3>竞品对比</h3>", _table(["品牌", "声量", "占比", "负面", "负面占比"], [
                    [name, n, share(n, total), neg, share(neg, n)]
                    for name, n, neg in [(b.name, b.total, b.sentiment["negative"]), *b.competitors]])]
            for title, rows in self._breakdowns(b):
                parts += [f"<h3>{escape(title)}</h3>", _table(["项", "数量"], [list(r) for r in rows])]
            parts += ["<h3>主要作者</h3>", _table(["作者", "提及", "粉丝"], [
                [a, n, f if f is not None else "—"] for a, n, f in b.authors]),
                "<h3>回复时效</h3>", f"<p>{escape(self._reply_line(b))}</p>"]
            parts += ["<h3>主要来源</h3>", _table(["来源", "提及"], [list(p) for p in b.sources]),
                      "<h3>热词</h3>", f"<p>{escape('、'.join(f'{w}（{n}）' for w, n in b.words) or '无')}</p>",
                      "<h3>负面话题 Top 5（转发合并计）</h3>"]
            items = [f"<li>（{b.story_sizes.get(m.id, 1)} 条）[{escape(m.platform)}] <b>{escape(m.author.name or '匿名')}</b>"
                     f"（{self._local(m.published_at)}）：{escape(m.text[:140])} "
                     f"<a href='{escape(m.url)}'>原文</a></li>" for m in b.negative]
            parts.append(f"<ol>{''.join(items)}</ol>" if items else "<p>无</p>")
        parts.append("<h2>事件</h2>")
        rows = d.incidents
        if rows:
            parts.append(f"<p>共 {len(rows)} 起；确认用时中位数 {duration_zh(d.median_to_ack())}，"
                         f"恢复用时中位数 {duration_zh(d.median_to_resolve())}。</p>")
            parts.append(_table(["编号", "品牌", "级别", "标题", "开始", "确认用时", "恢复用时", "状态"], [
                [r.incident.id, r.incident.brand, SEVERITY_ZH.get(r.incident.severity, r.incident.severity),
                 r.incident.title, self._local(r.incident.opened_at), duration_zh(r.to_ack),
                 duration_zh(r.to_resolve), STATE_ZH.get(r.incident.state, r.incident.state)] for r in rows]))
        else:
            parts.append("<p>本期无事件。</p>")
        if self.legend:
            parts.append(f"<p class='meta'>图中代号：{escape('，'.join(f'{k} = {v}' for k, v in self.legend.items()))}</p>")
        return PAGE.format(title=escape(self.title), body="\n".join(parts))

    def _local(self, dt: datetime) -> str:
        return dt.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")


def _table(head: list[str], rows: list[list]) -> str:
    if not rows:
        return "<p>无</p>"
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;max-width:48rem;margin:1rem auto;
color:#222}} table{{border-collapse:collapse;margin:.5rem 0}} td,th{{border:1px solid #ddd;padding:.25rem .5rem;
text-align:left}} th{{background:#f5f5f5}} .meta{{color:#777;font-size:.9rem}}</style></head>
<body>{body}</body></html>"""
