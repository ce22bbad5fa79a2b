"""Findings become incidents; incidents escalate through their playbook until acked, then resolve.

Per tick: resolve what went quiet; for each open incident decide whether it is muted (silence,
inhibition by a graver incident of its brand, quiet hours) or held (its brand was notified less than
`group_interval` ago); send the due playbook steps, batched per brand and channel; fall back to the
fallback channel when a channel keeps failing. The notification log makes each (incident, step,
channel) go out once across restarts; a claim left pending by a killed process is sent again once
it is older than `pending_timeout`, since a lost crisis alert costs more than a duplicate.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from monitor.alerting.acklink import AckLinks
from monitor.alerting.message import Style, alert_message, digest_message, resolved_message
from monitor.alerting.notify import Notifier, Outcome
from monitor.alerting.playbook import DueStep, due_steps, freeze, schedule, thaw
from monitor.alerting.quiet import quiet_interval
from monitor.alerting.silences import Silence, Silences
from monitor.clock import Clock
from monitor.config import Settings
from monitor.config.model import Config
from monitor.config.rules import SEVERITY_RANK
from monitor.detect.finding import Finding
from monitor.incident import ACKED, OPEN, RESOLVED, Delivery, Event, Incident
from monitor.mention import Mention
from monitor.store.base import Store

log = logging.getLogger(__name__)

RESOLVED_STEP = "resolved"
PENDING, SENT, FAILED, SKIPPED = "pending", "sent", "failed", "skipped"


def _example(m: Mention) -> dict:
    return {"id": m.id, "url": m.url, "platform": m.platform, "author": m.author.name,
            "followers": m.author.followers, "text": m.text[:200], "published_at": m.published_at.isoformat(),
            "sentiment": m.sentiment, "categories": list(m.categories)}


def ack_links_for(config: Config, clock: Clock) -> AckLinks | None:
    """Links only when the daemon's HTTP server is reachable and signs them."""
    http = config.http
    if http.public_url and http.ack_secret:
        return AckLinks(http.ack_secret, http.public_url, http.ack_ttl, clock)
    return None


@dataclass
class TickReport:
    notified: int = 0
    failed: int = 0
    resolved: int = 0
    muted: int = 0


@dataclass(frozen=True)
class Due:
    """One channel of one playbook step of one incident, ready to go out."""

    incident: Incident
    step: DueStep
    channel: str
    resend: bool = False  # a claim an interrupted process left pending

    @property
    def batch(self) -> tuple[str, str]:
        return (self.incident.brand or self.incident.group or "", self.channel)


class IncidentManager:
    """The notification policy. Every state change is also written to the incident's timeline."""

    def __init__(self, settings: Settings, store: Store, notifier: Notifier, clock: Clock,
                 ack_links: AckLinks | None = None) -> None:
        self.settings = settings
        self.store = store
        self.notifier = notifier
        self.clock = clock
        self.alerting = settings.config.alerting
        self.ack_links = ack_links or ack_links_for(settings.config, clock)
        self.silences = Silences(store, clock)
        self.style = Style(settings.config.zone, self.alerting.message, self.alerting.kibana_url)

    @property
    def zone(self):
        return self.settings.config.zone

    # findings → incidents
    def handle(self, findings: list[Finding]) -> list[Incident]:
        """Open one incident per fingerprint, or refresh the one already open."""
        active = {i.fingerprint: i for i in self._active()}
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

    def _active(self) -> list[Incident]:
        return self.store.incidents(states=(OPEN, ACKED), limit=10000)

    def _open(self, finding: Finding) -> Incident:
        now = self.clock.now()
        playbook = self.settings.playbooks[finding.playbook]
        digest = hashlib.sha1(f"{finding.fingerprint}|{now.isoformat()}".encode()).hexdigest()[:6]
        incident = Incident(
            id=f"INC-{now.astimezone(self.zone):%m%d}-{digest}", fingerprint=finding.fingerprint,
            rule=finding.rule, brand=finding.brand, severity=finding.severity, title=finding.title,
            playbook=freeze(playbook), opened_at=now, last_seen_at=now, figures=finding.figures,
            keywords=finding.keywords, examples=[_example(m) for m in finding.examples], group=finding.group,
            window_start=finding.window_start, window_end=finding.window_end,
            escalate_from=now + self.alerting.group_wait,
        )
        self.store.save_incident(incident)
        self._event(incident, "opened", finding.title)
        log.info("incident %s opened: %s", incident.id, finding.title)
        return incident

    def _refresh(self, incident: Incident, finding: Finding) -> None:
        grew = finding.figures.get("count", 0) > incident.figures.get("count", 0)
        changes = {"last_seen_at": self.clock.now(), "window_end": finding.window_end or incident.window_end}
        if grew:
            changes.update(figures=finding.figures, title=finding.title, keywords=finding.keywords,
                           examples=[_example(m) for m in finding.examples])
        self._update(incident, **changes)
        if grew:
            self._event(incident, "updated", finding.title)

    # escalation
    def tick(self) -> TickReport:
        """Resolve incidents that went quiet, then send every due step that is not muted or held."""
        report = TickReport()
        now = self.clock.now()
        live = []
        for incident in self._active():
            if now - incident.last_seen_at >= thaw(incident.playbook).resolve_after:
                self._resolve(incident, None, report)
            else:
                live.append(incident)
        logs = {i.id: self.store.deliveries(i.id) for i in live}
        silences = [s for s in self.silences.all() if s.active(now)]
        due: list[Due] = []
        for incident in (i for i in live if i.state == OPEN):
            if self._muted(incident, live, silences, logs[incident.id], now):
                report.muted += 1
            elif not self._held(incident, live, logs, now):
                due += self._due(incident, logs[incident.id], now)
        for _, batch in groupby(sorted(due, key=lambda d: d.batch), key=lambda d: d.batch):
            self._send(list(batch), report)
        return report

    def _mute_reason(self, incident: Incident, live: list[Incident], silences: list[Silence],
                     now: datetime) -> str | None:
        silence = next((s for s in silences if s.matches(incident)), None)
        if silence is not None:
            return f"静默 {silence.id}（{silence.matchers}）"
        rank = SEVERITY_RANK[incident.severity]
        if self.alerting.inhibit_from and incident.brand:
            floor = SEVERITY_RANK[self.alerting.inhibit_from]
            graver = next((o for o in live if o.brand == incident.brand and o.id != incident.id
                           and SEVERITY_RANK[o.severity] >= floor and SEVERITY_RANK[o.severity] > rank), None)
            if graver is not None:
                return f"被 {graver.id}（{graver.severity}）抑制"
        if rank < SEVERITY_RANK[self.alerting.quiet_hours_override]:
            name = quiet_interval(self.alerting, self.zone, now)
            if name is not None:
                return f"免打扰时段 {name}"
        return None

    def _muted(self, incident: Incident, live: list[Incident], silences: list[Silence],
               log_rows: list[Delivery], now: datetime) -> bool:
        """Record mute changes on the timeline; until the first step went out, the playbook clock waits too."""
        reason = self._mute_reason(incident, live, silences, now)
        before = incident.muted
        changes = {"muted": reason} if reason != before else {}
        if (reason is not None or before is not None) and not any(d.status == SENT for d in log_rows):
            changes["escalate_from"] = max(incident.escalate_from or now, now)
        if changes:
            self._update(incident, **changes)
        if reason != before:
            self._event(incident, "muted" if reason else "unmuted", reason or f"解除：{before}")
        return reason is not None

    def _held(self, incident: Incident, live: list[Incident], logs: dict[str, list[Delivery]], now: datetime) -> bool:
        """A new incident whose brand was notified within group_interval waits, then goes out in one batch."""
        if any(d.status == SENT for d in logs[incident.id]) or not incident.brand:
            return False
        recent = [d.at for o in live if o.brand == incident.brand and o.id != incident.id
                  for d in logs[o.id] if d.status == SENT]
        if recent and now - max(recent) < self.alerting.group_interval:
            if incident.escalate_from is None or incident.escalate_from < now:
                self._update(incident, escalate_from=now)
            return True
        return False

    def _due(self, incident: Incident, log_rows: list[Delivery], now: datetime) -> list[Due]:
        """The latest due step's unsent channels; older unsent steps (downtime) are skipped, not flooded."""
        playbook = thaw(incident.playbook)
        anchor = incident.escalate_from or incident.opened_at
        rows = {(d.step, d.channel): d for d in log_rows}
        pending = [s for s in due_steps(playbook, anchor, now) if any((s.key, c) not in rows for c in s.channels)]
        for stale in pending[:-1]:
            for channel in stale.channels:
                if self.store.claim_delivery(incident.id, stale.key, channel, now):
                    self.store.finish_delivery(incident.id, stale.key, channel, SKIPPED, now, 0,
                                               "superseded by a later step after downtime")
        out = [Due(incident, step, c) for step in pending[-1:] for c in step.channels if (step.key, c) not in rows]
        steps = {s.key: s for s in schedule(playbook, anchor)}
        for row in log_rows:
            if row.status == PENDING and row.step in steps and now - row.at >= self.alerting.pending_timeout:
                out.append(Due(incident, steps[row.step], row.channel, resend=True))
        return out

    def _send(self, batch: list[Due], report: TickReport) -> None:
        now = self.clock.now()
        claimed = [d for d in batch if d.resend or self.store.claim_delivery(d.incident.id, d.step.key, d.channel, now)]
        if not claimed:
            return
        channel = claimed[0].channel
        outcome = self.notifier.send(channel, *self._render(claimed, channel))
        for d in claimed:
            self._finish(d.incident, d.step.key, channel, outcome)
            if outcome.ok:
                kind = "notified" if d.step.index == 0 and d.step.round == 0 else "escalated"
                self._event(d.incident, kind, f"{d.step.label} → {channel}" + ("（中断后重发）" if d.resend else ""))
        if outcome.ok:
            report.notified += 1
            return
        report.failed += 1
        log.warning("delivery to %s failed: %s", channel, outcome.error)
        for d in claimed:
            self._event(d.incident, "delivery_failed", f"{d.step.label} → {channel}: {outcome.error}")
        self._fall_back(claimed, channel, report)

    def _fall_back(self, failed: list[Due], channel: str, report: TickReport) -> None:
        fallback = self.alerting.fallback_channel
        if not fallback or fallback == channel:
            return
        now = self.clock.now()
        key = f"fallback:{channel}"
        claimed = [d for d in failed if self.store.claim_delivery(d.incident.id, f"{d.step.key}/{key}", fallback, now)]
        if not claimed:
            return
        outcome = self.notifier.send(fallback, *self._render(claimed, fallback))
        for d in claimed:
            self._finish(d.incident, f"{d.step.key}/{key}", fallback, outcome)
            result = "已转发" if outcome.ok else f"也失败：{outcome.error}"
            self._event(d.incident, "fallback", f"{d.step.label}：{channel} 投递失败，备用通道 {fallback} {result}")
        report.notified += outcome.ok
        report.failed += not outcome.ok

    def _render(self, batch: list[Due], channel: str) -> tuple[str, str]:
        limit = self.notifier.limit(channel)
        if len(batch) == 1:
            d = batch[0]
            return alert_message(d.incident, self.style, d.step.label, self._ack_url(d.incident), limit)
        return digest_message([(d.incident, d.step.label, self._ack_url(d.incident)) for d in batch], self.style, limit)

    def _ack_url(self, incident: Incident) -> str | None:
        return self.ack_links.url(incident.id) if self.ack_links else None

    def _finish(self, incident: Incident, step: str, channel: str, outcome: Outcome) -> None:
        self.store.finish_delivery(incident.id, step, channel, SENT if outcome.ok else FAILED, self.clock.now(),
                                   outcome.attempts, outcome.error)

    # people
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
        incident = self._update(incident, state=RESOLVED, resolved_at=self.clock.now())
        self._event(incident, "resolved", "手动恢复" if by else "一段时间内未再触发，自动恢复", actor=by)
        report.resolved += 1
        reached = sorted({d.channel for d in self.store.deliveries(incident.id) if d.status == SENT})
        for channel in reached:
            if self.store.claim_delivery(incident.id, RESOLVED_STEP, channel, self.clock.now()):
                outcome = self.notifier.send(channel, *resolved_message(incident, self.style,
                                                                        self.notifier.limit(channel)))
                self._finish(incident, RESOLVED_STEP, channel, outcome)
                if outcome.ok:
                    self._event(incident, "resolved_notice", f"恢复通知 → {channel}")

    def _update(self, incident: Incident, **changes) -> Incident:
        """Apply changes to the stored copy, so an ack written meanwhile (CLI, ack link) is not overwritten."""
        fresh = self.store.get_incident(incident.id) or incident
        for name, value in changes.items():
            setattr(fresh, name, value)
            setattr(incident, name, value)
        self.store.save_incident(fresh)
        return fresh

    def _get(self, incident_id: str) -> Incident:
        incident = self.store.get_incident(incident_id)
        if incident is None:
            raise KeyError(f"no incident {incident_id}")
        return incident

    def _event(self, incident: Incident, kind: str, detail: str, actor: str | None = None) -> None:
        self.store.add_event(Event(incident.id, self.clock.now(), kind, detail, actor))
