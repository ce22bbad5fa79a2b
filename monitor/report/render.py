"""A report as an HTML e-mail (charts by reference) and as Markdown, Chinese first, times in the configured zone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from monitor.alerting.message import SEVERITY_ZH, STATE_ZH
from monitor.report.data import BrandFigures, ReportData
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
        """Chart files are named by brand position (b1-volume.png): file names stay ASCII for every mail client."""
        return f"b{[b.name for b in self.data.brands].index(brand) + 1}"

    def charts_of(self, brand: str) -> list[str]:
        return [name for name in self.charts if name.startswith(f"{self.chart_prefix(brand)}-")]

    # Markdown
    def markdown(self, image: ImageSource | None = None) -> str:
        d = self.data
        out = [f"# {self.title}", "", f"时区：{self.zone.key}；生成于 {self._local(self.generated_at)}", "",
               "## 概览", "", "| 品牌 | 声量 | 环比 | 负面 | 负面占比 | 正面 |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for b in d.brands:
            out.append(f"| {b.name} | {b.total} | {change_zh(b)} | {b.sentiment['negative']} | "
                       f"{share(b.sentiment['negative'], b.total)} | {b.sentiment['positive']} |")
        for b in d.brands:
            out += ["", f"## {b.name}", ""]
            if image is not None:
                out += [f"![{name}]({image(name)})" for name in self.charts_of(b.name)] + [""]
            if len(b.share_of_voice) > 1:
                total = sum(n for _, n in b.share_of_voice)
                out += ["### 竞品声量对比", "", "| 品牌 | 声量 | 占比 |", "| --- | ---: | ---: |"]
                out += [f"| {name} | {n} | {share(n, total)} |" for name, n in b.share_of_voice] + [""]
            out += ["### 主要来源", ""]
            out += [f"- {name}：{n} 条" for name, n in b.sources] or ["- 无"]
            out += ["", "### 热词", "", "、".join(f"{w}（{n}）" for w, n in b.words) or "无", "",
                    "### 投诉类别", "", "、".join(f"{c}（{n}）" for c, n in b.categories) or "无", "",
                    "### 负面提及 Top 5", ""]
            for i, m in enumerate(b.negative, 1):
                text = m.text.replace("\n", " ")[:100]
                out.append(f"{i}. [{m.platform}] {m.author.name or '匿名'}（{self._local(m.published_at)}）："
                           f"{text} <{m.url}>")
            if not b.negative:
                out.append("无")
        out += ["", "## 事件", ""] + self._incident_lines_md()
        if self.legend:
            out += ["", "图中代号：" + "，".join(f"{k} = {v}" for k, v in self.legend.items())]
        return "\n".join(out) + "\n"

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
                 "<h2>概览</h2>",
                 _table(["品牌", "声量", "环比", "负面", "负面占比", "正面"],
                        [[b.name, b.total, change_zh(b), b.sentiment["negative"],
                          share(b.sentiment["negative"], b.total), b.sentiment["positive"]] for b in d.brands])]
        for b in d.brands:
            parts.append(f"<h2>{escape(b.name)}</h2>")
            parts += [f"<p><img src='{escape(image(name))}' alt='{escape(name)}' style='max-width:100%'></p>"
                      for name in self.charts_of(b.name)]
            if len(b.share_of_voice) > 1:
                total = sum(n for _, n in b.share_of_voice)
                parts += ["<h3>竞品声量对比</h3>",
                          _table(["品牌", "声量", "占比"], [[n, c, share(c, total)] for n, c in b.share_of_voice])]
            parts += ["<h3>主要来源</h3>", _table(["来源", "提及"], [list(p) for p in b.sources]),
                      "<h3>热词</h3>", f"<p>{escape('、'.join(f'{w}（{n}）' for w, n in b.words) or '无')}</p>",
                      "<h3>投诉类别</h3>",
                      f"<p>{escape('、'.join(f'{c}（{n}）' for c, n in b.categories) or '无')}</p>",
                      "<h3>负面提及 Top 5</h3>"]
            items = [f"<li>[{escape(m.platform)}] <b>{escape(m.author.name or '匿名')}</b>"
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
