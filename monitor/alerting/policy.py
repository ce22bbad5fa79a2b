"""Findings become incidents; incidents escalate through their playbook until acked, then resolve."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from monitor.alerting.message import alert_message, resolved_message
from monitor.alerting.notify import Notifier
from monitor.alerting.playbook import DueStep, due_steps, freeze, thaw
from monitor.clock import Clock
from monitor.config import Settings
from monitor.detect.finding import Finding
from monitor.incident import ACKED, OPEN, RESOLVED, Event, Incident
from monitor.mention import Mention
from monitor.store.base import Store

log = logging.getLogger(__name__)

RESOLVED_STEP = "resolved"


def _example(m: Mention) -> dict:
    return {"id": m.id, "url": m.url, "platform": m.platform, "author": m.author.name,
            "text": m.text[:200], "published_at": m.published_at.isoformat(), "sentiment": m.sentiment}


def cli_ack_hint(incident: Incident) -> str:
    return f"brandmon ack {incident.id}"


@dataclass
class TickReport:
    notified: int = 0
    failed: int = 0
    resolved: int = 0


class IncidentManager:
    """The notification policy. Every state change is also written to the incident's timeline."""

    def __init__(self, settings: Settings, store: Store, notifier: Notifier, clock: Clock,
                 ack_hint: Callable[[Incident], str] = cli_ack_hint) -> None:
        self.settings = settings
        self.store = store
        self.notifier = notifier
        self.clock = clock
        self.ack_hint = ack_hint

    @property
    def zone(self):
        return self.settings.config.zone

    def handle(self, findings: list[Finding]) -> list[Incident]:
        """Open one incident per fingerprint, or refresh the one already open."""
        active = {i.fingerprint: i for i in self.store.incidents(states=(OPEN, ACKED), limit=10000)}
        touched = []
        for finding in findings:
            incident = active.get(finding.fingerprint)
            if incident is None:
                incident = self._open(finding)
                active[finding.fingerprint] = incident
            else:
                self._refresh(incident, finding)
            touched.append(incident)
        return touched

    def _open(self, finding: Finding) -> Incident:
        now = self.clock.now()
        playbook = self.settings.playbooks[finding.playbook]
        digest = hashlib.sha1(f"{finding.fingerprint}|{now.isoformat()}".encode()).hexdigest()[:6]
        incident = Incident(
            id=f"INC-{now.astimezone(self.zone):%m%d}-{digest}", fingerprint=finding.fingerprint,
            rule=finding.rule, brand=finding.brand, severity=finding.severity, title=finding.title,
            playbook=freeze(playbook), opened_at=now, last_seen_at=now, figures=finding.figures,
            keywords=finding.keywords, examples=[_example(m) for m in finding.examples],
        )
        self.store.save_incident(incident)
        self._event(incident, "opened", finding.title)
        log.info("incident %s opened: %s", incident.id, finding.title)
        return incident

    def _refresh(self, incident: Incident, finding: Finding) -> None:
        grew = finding.figures.get("count", 0) > incident.figures.get("count", 0)
        incident.last_seen_at = self.clock.now()
        if grew:
            incident.figures = finding.figures
            incident.title = finding.title
            incident.keywords = finding.keywords
            incident.examples = [_example(m) for m in finding.examples]
        self.store.save_incident(incident)
        if grew:
            self._event(incident, "updated", finding.title)

    def tick(self) -> TickReport:
        """Send due escalation steps and resolve incidents that have gone quiet."""
        report = TickReport()
        now = self.clock.now()
        for incident in self.store.incidents(states=(OPEN, ACKED), limit=10000):
            playbook = thaw(incident.playbook)
            if now - incident.last_seen_at >= playbook.resolve_after:
                self._resolve(incident, None, report)
                continue
            if incident.state == OPEN:
                for step in self._unsent(incident, due_steps(playbook, incident.opened_at, now)):
                    self._deliver(incident, step, report)
        return report

    def _unsent(self, incident: Incident, due: list[DueStep]) -> list[DueStep]:
        """Steps not yet in the notification log; after downtime only the latest is sent, the rest skipped."""
        sent = {(d.step, d.channel) for d in self.store.deliveries(incident.id)}
        pending = [s for s in due if any((s.key, c) not in sent for c in s.channels)]
        for stale in pending[:-1]:
            for channel in stale.channels:
                if self.store.claim_delivery(incident.id, stale.key, channel, self.clock.now()):
                    self.store.finish_delivery(incident.id, stale.key, channel, "skipped", self.clock.now(), 0,
                                               "superseded by a later step after downtime")
        return pending[-1:]

    def _deliver(self, incident: Incident, step: DueStep, report: TickReport) -> None:
        title, body = alert_message(incident, self.zone, step.label, self.ack_hint(incident))
        kind = "notified" if step.index == 0 and step.round == 0 else "escalated"
        for channel in step.channels:
            if not self.store.claim_delivery(incident.id, step.key, channel, self.clock.now()):
                continue
            outcome = self.notifier.send(channel, title, body)
            status = "sent" if outcome.ok else "failed"
            self.store.finish_delivery(incident.id, step.key, channel, status, self.clock.now(),
                                       outcome.attempts, outcome.error)
            if outcome.ok:
                report.notified += 1
                self._event(incident, kind, f"{step.label} → {channel}")
            else:
                report.failed += 1
                self._event(incident, "delivery_failed", f"{step.label} → {channel}: {outcome.error}")
                log.warning("delivery of %s to %s failed: %s", incident.id, channel, outcome.error)

    def ack(self, incident_id: str, by: str) -> Incident:
        incident = self._get(incident_id)
        if incident.state == OPEN:
            incident.state = ACKED
            incident.acked_at = self.clock.now()
            incident.acked_by = by
            self.store.save_incident(incident)
            self._event(incident, "acked", "已确认，停止升级", actor=by)
        return incident

    def resolve(self, incident_id: str, by: str) -> Incident:
        incident = self._get(incident_id)
        if incident.state != RESOLVED:
            self._resolve(incident, by, TickReport())
        return incident

    def _resolve(self, incident: Incident, by: str | None, report: TickReport) -> None:
        incident.state = RESOLVED
        incident.resolved_at = self.clock.now()
        self.store.save_incident(incident)
        self._event(incident, "resolved", "手动恢复" if by else "一段时间内未再触发，自动恢复", actor=by)
        report.resolved += 1
        title, body = resolved_message(incident, self.zone)
        reached = sorted({d.channel for d in self.store.deliveries(incident.id) if d.status == "sent"})
        for channel in reached:
            if self.store.claim_delivery(incident.id, RESOLVED_STEP, channel, self.clock.now()):
                outcome = self.notifier.send(channel, title, body)
                self.store.finish_delivery(incident.id, RESOLVED_STEP, channel, "sent" if outcome.ok else "failed",
                                           self.clock.now(), outcome.attempts, outcome.error)

    def _get(self, incident_id: str) -> Incident:
        incident = self.store.get_incident(incident_id)
        if incident is None:
            raise KeyError(f"no incident {incident_id}")
        return incident

    def _event(self, incident: Incident, kind: str, detail: str, actor: str | None = None) -> None:
        self.store.add_event(Event(incident.id, self.clock.now(), kind, detail, actor))
