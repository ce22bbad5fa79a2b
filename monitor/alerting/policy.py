"""Findings become incidents; incidents escalate through their playbook until acked, then resolve.

Per tick: resolve what went quiet; for each open incident decide whether it is muted (silence,
inhibition by a graver incident of its brand, quiet hours) or held (its brand was notified less than
`group_interval` ago); hand the rest to the dispatcher (dispatch.py), which sends each due step per
URL, in order, retrying and falling back, with the notification log as the record of what was sent.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from monitor.alerting.acklink import AckLinks
from monitor.alerting.dispatch import SENT, Dispatcher, Notice
from monitor.alerting.message import Style
from monitor.alerting.notify import Notifier
from monitor.alerting.playbook import freeze, thaw
from monitor.alerting.mute import Inhibited, Muter, QuietHours, Silenced, Watched, mute_reason
from monitor.alerting.silences import Silences
from monitor.clock import Clock
from monitor.config import Settings
from monitor.config.model import Config
from monitor.config.rules import SEVERITY_RANK
from monitor.detect.finding import Finding
from monitor.incident import ACKED, OPEN, RESOLVED, Delivery, Event, Incident
from monitor.mention import Mention
from monitor.store.base import Store

log = logging.getLogger(__name__)

RESOLVED_WAITING_KEY = "alerting:resolved-notices-waiting"


def _example(m: Mention) -> dict:
    return {"id": m.id, "url": m.url, "platform": m.platform, "author": m.author.name,
            "followers": m.author.followers, "text": m.text[:200], "published_at": m.published_at.isoformat(),
            "sentiment": m.sentiment, "categories": list(m.categories)}


def _measure(finding: Finding) -> str:
    """Counts compare like with like: the same rule over the same window length."""
    return f"{finding.rule}/{finding.figures.get('window_minutes', '')}"


def _terms(finding: Finding) -> tuple[str, ...]:
    """The crisis words a keyword finding fired on (none for other rules: new_topic's terms are its new words)."""
    if finding.rule_type != "keyword":
        return ()
    return tuple(finding.figures.get("terms") or ())


def minutes_between(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)


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


class IncidentManager:
    """The notification policy. Every state change is also written to the incident's timeline."""

    def __init__(self, settings: Settings, store: Store, notifier: Notifier, clock: Clock,
                 ack_links: AckLinks | None = None) -> None:
        self.settings = settings
        self.store = store
        self.notifier = notifier
        self.clock = clock
        self.alerting = settings.config.alerting
        self.silences = Silences(store, clock)
        self.style = Style(settings.config.zone, self.alerting.message, self.alerting.kibana_url)
        self.dispatcher = Dispatcher(store, notifier, clock, self.alerting, self.style,
                                     ack_links or ack_links_for(settings.config, clock))

    @property
    def ack_links(self) -> AckLinks | None:
        return self.dispatcher.ack_links

    @ack_links.setter
    def ack_links(self, links: AckLinks | None) -> None:
        self.dispatcher.ack_links = links

    @property
    def zone(self):
        return self.settings.config.zone

    # findings → incidents
    def handle(self, findings: list[Finding]) -> list[Incident]:
        """Open one incident per fingerprint (or per brand, with incident_per: brand), or refresh the one open."""
        active = {i.fingerprint: i for i in self._active()}
        touched: dict[int, Incident] = {}
        gravest_first = sorted(enumerate(findings), key=lambda f: -SEVERITY_RANK[f[1].severity])
        for n, finding in gravest_first:  # the gravest finding of a tick opens its brand's incident
            incident = active.get(finding.fingerprint) or self._same_brand(finding, active) or self._reopen(finding)
            if incident is None:
                incident = self._open(finding)
            else:
                self._refresh(incident, finding)
            active[finding.fingerprint] = incident
            touched[n] = incident
        return [touched[n] for n in range(len(findings))]

    def _same_brand(self, finding: Finding, active: dict[str, Incident]) -> Incident | None:
        """With incident_per: brand, a finding joins its brand's open incident: one crisis, one incident."""
        if self.alerting.incident_per != "brand" or not finding.brand:
            return None
        same = [i for i in active.values() if self._joins(finding, i)]
        return max(same, key=lambda i: i.opened_at) if same else None

    def _reopen(self, finding: Finding) -> Incident | None:
        """The incident this finding would have joined, if it resolved itself less than reopen_within ago:
        reopened (acked stays acked), its playbook clock restarted, so only steps never sent can follow."""
        now = self.clock.now()
        if not self.alerting.reopen_within:
            return None
        recent = [i for i in self.store.incidents(states=(RESOLVED,), limit=50)
                  if i.resolved_at and now - i.resolved_at < self.alerting.reopen_within and self._joins(finding, i)]
        incident = max(recent, key=lambda i: i.resolved_at, default=None)
        if incident is None or not self._resolved_by_itself(incident):
            return None
        quiet = minutes_between(incident.resolved_at, now)
        incident = self._update(incident, state=ACKED if incident.acked_at else OPEN, resolved_at=None,
                                last_seen_at=now, escalate_from=now)
        self._event(incident, "reopened", f"自动恢复 {quiet} 分钟后再次触发（{finding.rule}），同一事件继续跟踪")
        log.info("incident %s reopened by %s", incident.id, finding.rule)
        return incident

    def _joins(self, finding: Finding, incident: Incident) -> bool:
        if finding.fingerprint == incident.fingerprint:
            return True
        return (self.alerting.incident_per == "brand" and bool(finding.brand) and incident.brand == finding.brand
                and incident.group == finding.group)

    def _resolved_by_itself(self, incident: Incident) -> bool:
        """Resolved by going quiet, not by a person: someone who resolved it decided it was over."""
        last = [e for e in self.store.events(incident.id) if e.kind == "resolved"]
        return bool(last) and last[-1].actor is None

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
            wave={"n": 0, "at": now.isoformat(), "counts": {_measure(finding): finding.figures.get("count", 0)},
                  "terms": list(_terms(finding))},
        )
        self.store.save_incident(incident, fence=self.dispatcher.fence())
        self._event(incident, "opened", finding.title)
        log.info("incident %s opened: %s", incident.id, finding.title)
        return incident

    def _refresh(self, incident: Incident, finding: Finding) -> None:
        same_rule = finding.rule == incident.rule
        grew = not same_rule or finding.figures.get("count", 0) > incident.figures.get("count", 0)
        changes = {"last_seen_at": self.clock.now(), "window_end": finding.window_end or incident.window_end}
        if grew and (same_rule or SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[incident.severity]):
            changes.update(figures=finding.figures, title=finding.title, keywords=finding.keywords,
                           examples=[_example(m) for m in finding.examples])
        wave = incident.wave or {}
        counts = dict(wave.get("counts") or {})
        if _measure(finding) not in counts:  # a rule (or window) joining the incident: growth is measured from here
            counts[_measure(finding)] = finding.figures.get("count", 0)
            changes["wave"] = {**wave, "counts": counts}
        heard = list(wave.get("terms") or [])
        new_terms = [t for t in _terms(finding) if t not in heard]
        if new_terms:
            changes["wave"] = {**wave, "counts": counts, "terms": heard + new_terms}
        self._update(incident, **changes)  # also in place: a later finding of this tick sees it
        if grew:
            self._event(incident, "updated", finding.title)
        reason = self._renotify_reason(incident, finding, new_terms if heard else [])
        if reason:
            self._renotify(incident, finding, reason)

    # re-notification of a growing incident
    def _renotify_reason(self, incident: Incident, finding: Finding, new_terms: list[str]) -> str | None:
        """A graver severity, a count grown renotify_growth times since the last notice (per rule), or
        crisis words this incident never had: an incident opened on a day of everyday complaints (投诉、
        避雷) that starts hearing 塌房、约谈 is a new story, which growth alone would tell an hour late.
        Words heard within renotify_interval of a notice join it silently."""
        now = self.clock.now()
        wave = incident.wave or {}
        if SEVERITY_RANK[finding.severity] > SEVERITY_RANK[incident.severity]:
            return f"严重程度升级：{incident.severity} → {finding.severity}（{finding.rule}）"
        if wave.get("at") and now - datetime.fromisoformat(wave["at"]) < self.alerting.renotify_interval:
            return None
        if new_terms:
            return f"出现新危机词：{'、'.join(new_terms[:5])}（{finding.rule}）"
        growth = self.alerting.renotify_growth
        before = (wave.get("counts") or {}).get(_measure(finding))
        count = finding.figures.get("count", 0)
        if growth and before and count >= growth * before:
            return f"规模扩大：{before} → {count}（{finding.rule}）"
        return None

    def _renotify(self, incident: Incident, finding: Finding, reason: str) -> None:
        """Start the playbook again from its first step, under the graver severity's playbook if it rose.
        An incident nobody was told about yet just takes the graver playbook: its first message is still to come."""
        now = self.clock.now()
        told = any(d.status == SENT for d in self.store.deliveries(incident.id))
        wave = incident.wave or {}
        changes: dict = {"wave": {**wave, "n": wave.get("n", 0) + told, "at": now.isoformat(),
                                  "counts": {**(wave.get("counts") or {}), _measure(finding): finding.figures.get("count", 0)}}}
        if told:
            changes["escalate_from"] = now
        if SEVERITY_RANK[finding.severity] > SEVERITY_RANK[incident.severity]:
            changes.update(severity=finding.severity, playbook=freeze(self.settings.playbooks[finding.playbook]),
                           title=finding.title, figures=finding.figures, state=OPEN)
        self._update(incident, **changes)
        self._event(incident, "renotify" if told else "updated", reason)
        if told:
            log.info("incident %s notifies again: %s", incident.id, reason)

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
        muters = [Watched(self.settings.config.brands), Silenced(self.silences.all()), Inhibited(self.alerting),
                  QuietHours(self.alerting, self.zone)]
        due: list[Notice] = []
        for incident in (i for i in live if i.state == OPEN):
            if self._muted(incident, live, muters, logs[incident.id], now):
                report.muted += 1
            elif not self._held(incident, live, logs, now):
                due += self.dispatcher.due(incident, logs[incident.id], now)
        report.notified, report.failed = self.dispatcher.deliver(due)
        self._retry_resolved(now)
        return report

    def _muted(self, incident: Incident, live: list[Incident], muters: list[Muter],
               log_rows: list[Delivery], now: datetime) -> bool:
        """Record mute changes on the timeline; until the first step went out, the playbook clock waits too."""
        reason = mute_reason(muters, incident, live, now)
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

    # people
    def ack(self, incident_id: str, by: str, note: str | None = None) -> Incident:
        incident = self._get(incident_id)
        if incident.state == OPEN:
            incident.state = ACKED
            incident.acked_at = self.clock.now()
            incident.acked_by = by
            if incident.assignee is None:
                incident.assignee = by  # whoever acks owns it until someone assigns it
            self.store.save_incident(incident)
            self._event(incident, "acked", "已确认，停止升级" + (f"：{note}" if note else ""), actor=by)
        elif note:
            self._event(incident, "note", note, actor=by)
        return incident

    def resolve(self, incident_id: str, by: str, note: str | None = None) -> Incident:
        incident = self._get(incident_id)
        if incident.state != RESOLVED:
            self._resolve(incident, by, TickReport(), note)
        elif note:
            self._event(incident, "note", note, actor=by)
        return incident

    def assign(self, incident_id: str, to: str, by: str) -> Incident:
        incident = self._update(self._get(incident_id), assignee=to)
        self._event(incident, "assigned", f"负责人：{to}", actor=by)
        return incident

    def note(self, incident_id: str, text: str, by: str) -> Incident:
        incident = self._get(incident_id)
        self._event(incident, "note", text, actor=by)
        return incident

    def _resolve(self, incident: Incident, by: str | None, report: TickReport, note: str | None = None) -> None:
        incident = self._update(incident, state=RESOLVED, resolved_at=self.clock.now())
        self._event(incident, "resolved", ("手动恢复" if by else "一段时间内未再触发，自动恢复")
                    + (f"：{note}" if note else ""), actor=by)
        report.resolved += 1
        if self.dispatcher.resolved(incident, self.clock.now()):
            self._resolved_waiting(add=incident.id)

    def _resolved_waiting(self, add: str | None = None, done: frozenset[str] = frozenset()) -> list[str]:
        """Resolved incidents whose resolved notice still waits for a URL (named state: survives a restart)."""
        waiting = [i for i in self.store.get_state(RESOLVED_WAITING_KEY) or [] if i not in done]
        if add is not None and add not in waiting:
            waiting.append(add)
        if add is not None or done:
            self.store.put_state(RESOLVED_WAITING_KEY, waiting)
        return waiting

    def _retry_resolved(self, now: datetime) -> None:
        finished = set()
        for incident_id in self._resolved_waiting():
            incident = self.store.get_incident(incident_id)
            if incident is None or not self.dispatcher.resolved(incident, now):
                finished.add(incident_id)
        if finished:
            self._resolved_waiting(done=frozenset(finished))

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
