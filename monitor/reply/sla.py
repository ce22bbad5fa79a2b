"""Reply-SLA breaches as findings, so they escalate through the same playbooks as any crisis.

One finding per brand and SLA severity while breached items wait; when the queue is emptied the
finding stops and the incident resolves after its playbook's quiet period, like any other.
"""

from __future__ import annotations

import logging
from datetime import datetime

from monitor.config import Settings
from monitor.detect.finding import Finding
from monitor.reply.queue import ReplyDesk
from monitor.store.base import Store

log = logging.getLogger(__name__)

RULE = "reply_sla"
EXAMPLES = 5


def _minutes(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60} 小时 {minutes % 60} 分" if minutes >= 60 else f"{minutes} 分钟"


def sla_findings(settings: Settings, store: Store, now: datetime, desk: ReplyDesk | None = None) -> list[Finding]:
    if not settings.config.reply.escalate:
        return []
    desk = desk or ReplyDesk(settings.config, store)
    breaches = desk.breaches(EXAMPLES)  # the whole queue, a page at a time: nothing beyond a cap goes unseen
    findings = []
    for (brand, severity), (count, items) in sorted(breaches.items()):
        if severity not in settings.playbooks:
            log.warning("reply SLA breach for %s not escalated: no playbook named '%s'", brand, severity)
            continue
        if not items:  # its examples left the store between the walk and their reading
            continue
        first = items[0]
        title = (f"{brand}：{count} 条负面提及超过回复时限（最久已等 "
                 f"{_minutes((now - first.mention.published_at).total_seconds())}）")
        findings.append(Finding(
            rule=RULE, rule_type=RULE, brand=brand, severity=severity, playbook=severity, at=now, title=title,
            figures={"count": count, "sla_minutes": int(first.tier.within.total_seconds() // 60),
                     "oldest_minutes": int((now - first.mention.published_at).total_seconds() // 60)},
            group=f"sla-{severity}", examples=[i.mention for i in items],
            window_start=first.mention.published_at, window_end=now))
    return findings
