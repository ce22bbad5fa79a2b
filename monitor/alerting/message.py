"""Alert text, Chinese first, in the configured time zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from monitor.incident import Event, Incident

SEVERITY_ZH = {"critical": "严重", "warning": "警告", "info": "提示"}
STATE_ZH = {"open": "未确认", "acked": "已确认", "resolved": "已恢复"}


def _local(dt, zone: ZoneInfo) -> str:
    return dt.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _figures(figures: dict) -> str:
    parts = []
    if "count" in figures:
        parts.append(f"{figures.get('window_minutes', '?')} 分钟内 {figures['count']} 条")
    if "baseline" in figures:
        parts.append(f"基线 {figures['baseline']}")
    if "ratio" in figures:
        parts.append(f"{figures['ratio']} 倍")
    return "，".join(parts)


def alert_message(incident: Incident, zone: ZoneInfo, step_label: str, ack_hint: str) -> tuple[str, str]:
    """Title and body of an incident notification."""
    severity = SEVERITY_ZH.get(incident.severity, incident.severity)
    title = f"【{severity}】{incident.title}"
    lines = [
        f"品牌：{incident.brand}",
        f"规则：{incident.rule}",
        f"级别：{severity}（{step_label}）",
        f"开始：{_local(incident.opened_at, zone)}（{zone.key}）",
        f"编号：{incident.id}",
    ]
    if figures := _figures(incident.figures):
        lines.append(f"指标：{figures}")
    if incident.keywords:
        lines.append(f"关键词：{'、'.join(incident.keywords[:8])}")
    if incident.examples:
        lines.append("示例：")
        for i, ex in enumerate(incident.examples, 1):
            author = ex.get("author") or "匿名"
            lines.append(f"{i}. [{ex.get('platform')}] {author}：{ex.get('text', '')[:80]}")
            lines.append(f"   {ex.get('url')}")
    lines.append(f"确认：{ack_hint}")
    return title, "\n".join(lines)


def resolved_message(incident: Incident, zone: ZoneInfo) -> tuple[str, str]:
    title = f"【已恢复】{incident.title}"
    body = "\n".join([
        f"品牌：{incident.brand}",
        f"规则：{incident.rule}",
        f"编号：{incident.id}",
        f"开始：{_local(incident.opened_at, zone)}",
        f"恢复：{_local(incident.resolved_at, zone)}（{zone.key}）",
    ])
    return title, body


def timeline_markdown(incident: Incident, events: list[Event], zone: ZoneInfo) -> str:
    """The post-mortem view of an incident."""
    out = [
        f"# {incident.id} {incident.title}",
        "",
        f"- 品牌：{incident.brand}",
        f"- 规则：{incident.rule}（{SEVERITY_ZH.get(incident.severity, incident.severity)}）",
        f"- 状态：{STATE_ZH.get(incident.state, incident.state)}",
        f"- 开始：{_local(incident.opened_at, zone)}（{zone.key}）",
    ]
    if incident.acked_at:
        out.append(f"- 确认：{_local(incident.acked_at, zone)}，{incident.acked_by or '未知'}")
    if incident.resolved_at:
        out.append(f"- 恢复：{_local(incident.resolved_at, zone)}")
    out += ["", "| 时间 | 事件 | 详情 |", "| --- | --- | --- |"]
    for e in events:
        detail = e.detail.replace("|", "\\|")
        who = f"（{e.actor}）" if e.actor else ""
        out.append(f"| {_local(e.at, zone)} | {e.kind} | {detail}{who} |")
    return "\n".join(out) + "\n"
