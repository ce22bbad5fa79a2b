"""Alert text, Chinese first, in the configured time zone, cut to fit each channel.

A message is built from sections in order of importance; what does not fit a channel's size limit
is dropped from the least important end (examples first), never the ack link. Mail gets the same
sections as HTML (headings, a list of examples, links, an ack button); apprise derives the text part.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from monitor.alerting.kibana import discover_url
from monitor.config.model import MessageOptions
from monitor.incident import Event, Incident

SEVERITY_ZH = {"critical": "严重", "warning": "警告", "info": "提示"}
STATE_ZH = {"open": "未确认", "acked": "已确认", "resolved": "已恢复"}
ELLIPSIS = "…"


@dataclass(frozen=True)
class Style:
    """Everything about the wording that comes from the config."""

    zone: ZoneInfo
    options: MessageOptions = MessageOptions()
    kibana_url: str | None = None


@dataclass(frozen=True)
class Shape:
    """What a URL takes: a body size in characters or UTF-8 bytes (WeCom counts bytes), whether the title is
    counted in the body (WeCom bots), HTML (mail), and a word the bot insists on (DingTalk's security keyword)."""

    body: int | None = None
    title_in_body: bool = False
    unit: str = "chars"
    html: bool = False
    keyword: str | None = None

    def size(self, text: str) -> int:
        return len(text.encode("utf-8")) if self.unit == "bytes" else len(text)

    def cut(self, text: str, budget: int) -> str:
        """The longest prefix of text within budget."""
        if self.unit == "chars":
            return text[:max(budget, 0)]
        return text.encode("utf-8")[:max(budget, 0)].decode("utf-8", "ignore")


def _local(dt: datetime, zone: ZoneInfo) -> str:
    return dt.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def figures_text(figures: dict) -> str:
    """The numbers that fired the rule, against what was expected."""
    parts = []
    if "count" in figures:
        span = figures.get("window_minutes")
        parts.append(f"{span} 分钟内 {figures['count']} 条" if span else f"{figures['count']} 条")
    if "share" in figures:
        parts.append(f"占比 {figures['share']:.0%}（阈值 {figures['threshold']:.0%}）")
    elif "threshold" in figures:
        parts.append(f"阈值 {figures['threshold']}")
    if "baseline" in figures:
        parts.append(f"基线 {figures['baseline']}")
    if "ratio" in figures:
        parts.append(f"约 {figures['ratio']} 倍")
    if "p_value" in figures:
        parts.append(f"p={figures['p_value']:.2g}")
    if "followers" in figures:
        parts.append(f"粉丝 {figures['followers']}")
    return "，".join(parts)


def _title(template: str, incident: Incident) -> str:
    return template.format(severity=SEVERITY_ZH.get(incident.severity, incident.severity), title=incident.title,
                           brand=incident.brand, rule=incident.rule, id=incident.id)


def _ack_lines(incident: Incident, ack_url: str | None) -> list[str]:
    lines = [f"确认：{ack_url}"] if ack_url else []
    return lines + [f"命令行确认：brandmon ack {incident.id}"]


def _head(incident: Incident, style: Style, step_label: str) -> list[str]:
    severity = SEVERITY_ZH.get(incident.severity, incident.severity)
    lines = [f"品牌：{incident.brand}"] if incident.brand else []
    if incident.group:
        lines.append(f"分组：{incident.group}")
    lines += [
        f"规则：{incident.rule}",
        f"级别：{severity}（{step_label}）",
        f"开始：{_local(incident.opened_at, style.zone)}（{style.zone.key}）",
        f"编号：{incident.id}",
    ]
    if figures := figures_text(incident.figures):
        lines.append(f"指标：{figures}")
    return lines


def complaint_categories(examples: list[dict]) -> list[tuple[str, int]]:
    """How many of the incident's examples fall in each complaint category, most first."""
    counts: dict[str, int] = {}
    for ex in examples:
        for c in ex.get("categories") or ():
            counts[c] = counts.get(c, 0) + 1
    return sorted(counts.items(), key=lambda p: -p[1])


def _optional(incident: Incident, style: Style) -> list[list[str]]:
    """Droppable sections, most important first: keywords, the Kibana link, then one block per example."""
    options = style.options
    sections = []
    if incident.keywords and options.max_keywords:
        sections.append([f"关键词：{'、'.join(incident.keywords[:options.max_keywords])}"])
    if categories := complaint_categories(incident.examples):
        sections.append([f"投诉类别：{'、'.join(f'{c}（{n}）' for c, n in categories)}"])
    if style.kibana_url and incident.window_start and incident.window_end:
        sections.append([f"看板：{discover_url(style.kibana_url, incident)}"])
    for i, ex in enumerate(incident.examples[:options.max_examples], 1):
        author = ex.get("author") or "匿名"
        text = ex.get("text", "")
        if len(text) > options.example_chars:
            text = text[:options.example_chars] + ELLIPSIS
        heading = ["示例："] if i == 1 else []
        tags = "".join(f"【{c}】" for c in ex.get("categories") or ())
        sections.append([*heading, f"{i}. [{ex.get('platform')}] {tags}{author}：{text}", f"   {ex.get('url')}"])
    return sections


def fit(title: str, required: list[str], optional: list[list[str]], tail: list[str], shape: Shape) -> tuple[str, str]:
    """Keep required and tail lines, add optional sections in order while they fit the shape's size."""
    if shape.keyword and shape.keyword not in title and not any(shape.keyword in line for line in required):
        required = [f"【{shape.keyword}】", *required]
    budget = None if shape.body is None else shape.body - (shape.size(title) + 2 if shape.title_in_body else 0)
    lines = list(required)

    def size(extra: list[str]) -> int:
        return shape.size("\n".join(lines + extra + tail))

    for section in optional:
        if budget is None or size(section) <= budget:
            lines += section
        else:
            break
    body = "\n".join(lines + tail)
    if budget is not None and shape.size(body) > budget:  # the required lines alone are too long: cut, keep the tail
        tail_text = "\n".join(tail)
        keep = budget - shape.size(tail_text) - shape.size(ELLIPSIS) - 1
        body = shape.cut("\n".join(lines), keep) + ELLIPSIS + "\n" + tail_text if keep > 0 else \
            shape.cut(tail_text, budget)
    return title, body


def alert_message(incident: Incident, style: Style, step_label: str, ack_url: str | None,
                  shape: Shape = Shape()) -> tuple[str, str]:
    """Title and body of one incident's notification (HTML for mail)."""
    title = _title(style.options.title, incident)
    if shape.html:
        return title, _html([_html_incident(incident, style, step_label, ack_url, title, heading="h2")])
    return fit(title, _head(incident, style, step_label), _optional(incident, style), _ack_lines(incident, ack_url),
               shape)


def digest_message(items: list[tuple[Incident, str, str | None]], style: Style,
                   shape: Shape = Shape()) -> tuple[str, str]:
    """Several incidents of one brand due on one channel at once: one message, one block each."""
    first = items[0][0]
    worst = max((i for i, _, _ in items), key=lambda i: ("info", "warning", "critical").index(i.severity))
    severity = SEVERITY_ZH.get(worst.severity, worst.severity)
    title = f"【{severity}】{first.brand or first.group or ''} {len(items)} 起事件"
    if shape.html:
        return title, _html([f"<h2>{escape(title)}</h2>"] + [
            _html_incident(i, style, label, url, _title(style.options.title, i), heading="h3")
            for i, label, url in items])
    blocks = []
    for incident, step_label, ack_url in items:
        blocks.append([f"■ {_title(style.options.title, incident)}", *_head(incident, style, step_label)[1:],
                       *_ack_lines(incident, ack_url), ""])
    return fit(title, [], blocks, [f"共 {len(items)} 起，详情：brandmon incidents"], shape)


BUTTON = ("display:inline-block;padding:10px 20px;background:#c9302c;color:#ffffff;"
          "text-decoration:none;border-radius:4px;font-weight:bold")


def _html(parts: list[str]) -> str:
    return ("<html><body style=\"font-family:sans-serif;line-height:1.5\">\n" + "\n".join(parts)
            + "\n</body></html>")


def _link(url: str | None) -> str:
    return f'<a href="{escape(url or "")}">{escape(url or "")}</a>'


def _html_incident(incident: Incident, style: Style, step_label: str, ack_url: str | None, title: str,
                   heading: str) -> str:
    """One incident as HTML: a heading, the figures, keywords, a numbered list of examples, the ack button."""
    sub = "h3" if heading == "h2" else "h4"
    head = "<br/>".join(escape(line) for line in _head(incident, style, step_label))
    out = [f"<{heading}>{escape(title)}</{heading}>", f"<p>{head}</p>"]
    options = style.options
    if incident.keywords and options.max_keywords:
        out.append(f"<p>关键词：{escape('、'.join(incident.keywords[:options.max_keywords]))}</p>")
    if style.kibana_url and incident.window_start and incident.window_end:
        out.append(f"<p>看板：{_link(discover_url(style.kibana_url, incident))}</p>")
    examples = incident.examples[:options.max_examples]
    if examples:
        out.append(f"<{sub}>示例</{sub}>")
        out.append("<ol>")
        for ex in examples:
            text = ex.get("text", "")
            if len(text) > options.example_chars:
                text = text[:options.example_chars] + ELLIPSIS
            out.append(f"<li>[{escape(str(ex.get('platform')))}] {escape(ex.get('author') or '匿名')}："
                       f"{escape(text)}<br/>{_link(ex.get('url'))}</li>")
        out.append("</ol>")
    if ack_url:
        out.append(f'<p><a href="{escape(ack_url)}" style="{BUTTON}">确认已知悉，停止升级</a></p>')
        out.append(f"<p>按钮打不开时，复制此链接：{_link(ack_url)}</p>")
    out.append(f'<p>命令行确认：<span style="font-family:monospace">brandmon ack {escape(incident.id)}</span></p>')
    return "\n".join(out)


def resolved_message(incident: Incident, style: Style, shape: Shape = Shape()) -> tuple[str, str]:
    lines = [f"品牌：{incident.brand}"] if incident.brand else []
    lines += [
        f"规则：{incident.rule}",
        f"编号：{incident.id}",
        f"开始：{_local(incident.opened_at, style.zone)}",
        f"恢复：{_local(incident.resolved_at, style.zone)}（{style.zone.key}）",
    ]
    if incident.acked_at:
        lines.append(f"确认：{_local(incident.acked_at, style.zone)}，{incident.acked_by or '未知'}")
    title = _title(style.options.resolved_title, incident)
    if shape.html:
        return title, _html([f"<h2>{escape(title)}</h2>", "<p>" + "<br/>".join(escape(x) for x in lines) + "</p>"])
    return fit(title, lines, [], [], shape)


def timeline_markdown(incident: Incident, events: list[Event], zone: ZoneInfo) -> str:
    """The post-mortem view of an incident."""
    out = [
        f"# {incident.id} {incident.title}",
        "",
        f"- 品牌：{incident.brand or '-'}",
        f"- 规则：{incident.rule}（{SEVERITY_ZH.get(incident.severity, incident.severity)}）",
        f"- 状态：{STATE_ZH.get(incident.state, incident.state)}",
        f"- 开始：{_local(incident.opened_at, zone)}（{zone.key}）",
    ]
    if figures := figures_text(incident.figures):
        out.append(f"- 指标：{figures}")
    if incident.acked_at:
        out.append(f"- 确认：{_local(incident.acked_at, zone)}，{incident.acked_by or '未知'}")
    if incident.resolved_at:
        out.append(f"- 恢复：{_local(incident.resolved_at, zone)}")
    out += ["", "| 时间 | 事件 | 详情 |", "| --- | --- | --- |"]
    for e in events:
        detail = e.detail.replace("|", "\\|").replace("\n", " ")
        who = f"（{e.actor}）" if e.actor else ""
        out.append(f"| {_local(e.at, zone)} | {e.kind} | {detail}{who} |")
    return "\n".join(out) + "\n"
