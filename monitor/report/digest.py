"""A report for chat: a few lines per brand within the channel's limit and a link to the full HTML report.

Chat bots render Markdown tables badly or not at all and cut long messages (WeCom at 2,048 bytes), so
chat channels get this digest instead of the report itself.
"""

from __future__ import annotations

from monitor.alerting.message import Shape, fit
from monitor.report.render import Report, change_zh, duration_zh, share


def chat_digest(report: Report, link: str, shape: Shape) -> tuple[str, str]:
    d = report.data
    required = [f"{b.name}：声量 {b.total}（环比 {change_zh(b)}），负面 {b.sentiment['negative']}"
                f"（{share(b.sentiment['negative'], b.total)}）" for b in d.brands]
    if d.incidents:
        required.append(f"事件 {len(d.incidents)} 起，确认用时中位数 {duration_zh(d.median_to_ack())}")
    else:
        required.append("本期无事件")
    optional = [[f"{b.name} 热词：{'、'.join(w for w, _ in b.words[:5])}"] for b in d.brands if b.words]
    optional += [[f"{b.name} 负面 Top：[{m.platform}] {m.text.replace(chr(10), ' ')[:60]}", f"  {m.url}"]
                 for b in d.brands for m in b.negative[:1]]
    return fit(report.title, required, optional, [f"完整报告（图表、明细）：{link}"], shape)
