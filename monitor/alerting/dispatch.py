"""The dispatcher: which notices are due per URL, and claim → render → send → finish → fallback for them.

Every (incident, step, URL) has one row in the notification log, the single record of "was it sent":
pending (claimed, in flight), sent, retrying (failed, tried again with backoff), failed (given up after
`give_up_after`; the fallback channel takes over), skipped (merged into a later catch-up notice).

A lane is what one URL receives about one incident, in playbook order. A lane never runs ahead: while
one of its notices is pending or retrying, later steps wait, so a 第 1 级升级 never arrives before its
首次通知. When a lane finds several steps that were never tried (the daemon was down while they fell
due) they go out as one consolidated catch-up notice naming each of them; a single due step is sent
as itself, so start-up is not mistaken for downtime. A row left pending by a killed process is sent
again after `pending_timeout` (the one duplicate we accept: a crisis alert lost costs more).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from monitor.alerting.acklink import AckLinks
from monitor.alerting.message import Style, alert_message, digest_message, resolved_message
from monitor.alerting.notify import Message, Notifier, Outcome, Target, channel_of
from monitor.alerting.playbook import DueStep, schedule, thaw
from monitor.clock import Clock
from monitor.config.model import AlertingConfig
from monitor.config.rules import SEVERITY_RANK
from monitor.incident import Delivery, Event, Incident
from monitor.store.base import Fence, Store

log = logging.getLogger(__name__)

RESOLVED_STEP = "resolved"
PENDING, SENT, RETRYING, FAILED, SKIPPED = "pending", "sent", "retrying", "failed", "skipped"
DONE = (SENT, SKIPPED, FAILED)
MERGED = "merged into "


@dataclass(frozen=True)
class Notice:
    """One notice for one URL: a playbook step (the latest, when earlier ones are merged into it)."""

    incident: Incident
    step: DueStep
    log_step: str  # the step's key in the log; `<key>/fallback:<channel>` when it replaces a channel
    target: Target
    row: Delivery | None = None  # the log row of an earlier attempt
    merged: tuple[tuple[DueStep, str], ...] = ()  # earlier (step, log step) this catch-up notice stands for
    fallback_for: str | None = None

    @property
    def label(self) -> str:
        text = self.step.label
        if self.merged:
            text += f"（补发：{'、'.join(s.label for s, _ in self.merged)}）"
        if self.fallback_for:
            text += f"（{self.fallback_for} 投递失败，由备用通道转发）"
        return text

    @property
    def batch(self) -> tuple[str, str]:
        return (self.incident.brand or self.incident.group or "", self.target.key)


@dataclass(frozen=True)
class _Entry:
    step: DueStep
    log_step: str
    target: Target
    fallback_for: str | None = None


class Dispatcher:
    def __init__(self, store: Store, notifier: Notifier, clock: Clock, alerting: AlertingConfig, style: Style,
                 ack_links: AckLinks | None) -> None:
        self.store = store
        self.notifier = notifier
        self.clock = clock
        self.alerting = alerting
        self.style = style
        self.ack_links = ack_links
        # the daemon's fencing token while it leads (monitor/lease.py); None: no other daemon to fence off
        self.fence: Callable[[], Fence | None] = lambda: None

    # what is due
    def due(self, incident: Incident, rows: list[Delivery], now: datetime) -> list[Notice]:
        """The next notice of each of the incident's lanes; records give-ups and removed channels on the way."""
        playbook = thaw(incident.playbook)
        wave = (incident.wave or {}).get("n", 0)  # a grown incident's re-notification has steps of its own
        steps = [s for s in schedule(playbook, incident.escalate_from or incident.opened_at, wave) if s.due_at <= now]
        log_rows = {(d.step, d.channel): d for d in rows}
        self._give_up(incident, steps, log_rows, now)
        lanes: dict[str, list[_Entry]] = {}
        failed_channels = {(step, channel_of(key)) for (step, key), d in log_rows.items() if d.status == FAILED}
        fallback = self.alerting.fallback_channel
        fallback_targets = self.notifier.targets(fallback) if fallback else None
        for step in steps:
            for channel in step.channels:
                targets = self.notifier.targets(channel)
                if targets is None:
                    self._removed(incident, step, channel, log_rows, now)
                    failed_channels.add((step.key, channel))
                for t in targets or ():
                    lanes.setdefault(t.key, []).append(_Entry(step, step.key, t))
            for channel in step.channels:
                if (step.key, channel) in failed_channels and channel != fallback:
                    for t in fallback_targets or ():
                        lanes.setdefault(t.key, []).append(
                            _Entry(step, f"{step.key}/fallback:{channel}", t, fallback_for=channel))
        out = []
        for entries in lanes.values():
            notice = self._next(incident, entries, log_rows, now)
            if notice is not None:
                out.append(notice)
        return out

    def _next(self, incident: Incident, entries: list[_Entry], rows: dict, now: datetime) -> Notice | None:
        fresh: list[_Entry] = []
        for e in entries:
            row = rows.get((e.log_step, e.target.key))
            if row is None:
                fresh.append(e)
                continue
            if row.status in DONE or fresh:
                continue
            if row.status == PENDING and now - row.at < self.alerting.pending_timeout:
                return None
            if row.status == RETRYING and now < row.at + self._backoff(row.attempts):
                return None
            merged = tuple((x.step, x.log_step) for x in entries if (d := rows.get((x.log_step, x.target.key)))
                           and d.status == SKIPPED and d.error == MERGED + e.log_step)
            return Notice(incident, e.step, e.log_step, e.target, row, merged, e.fallback_for)
        if not fresh:
            return None
        last = fresh[-1]
        return Notice(incident, last.step, last.log_step, last.target, None,
                      tuple((x.step, x.log_step) for x in fresh[:-1]), last.fallback_for)

    def _backoff(self, attempts: int) -> timedelta:
        return min(self.alerting.retry_backoff * 2 ** max(attempts, 1), self.alerting.retry_max_backoff)

    def _give_up(self, incident: Incident, steps: list[DueStep], rows: dict, now: datetime) -> None:
        """Rows still retrying past give_up_after (twice that for a fallback) are failed for good."""
        due_at = {s.key: s.due_at for s in steps}
        labels = {s.key: s.label for s in steps}
        for (step, key), d in list(rows.items()):
            base = step.split("/", 1)[0]
            if d.status not in (RETRYING, PENDING) or base not in due_at:
                continue
            limit = self.alerting.give_up_after * (2 if "/" in step else 1)
            if now - due_at[base] < limit or (d.status == PENDING and now - d.at < self.alerting.pending_timeout):
                continue
            error = f"gave up after {limit}: {d.error or 'interrupted'}"
            self.store.finish_delivery(incident.id, step, key, FAILED, now, d.attempts, error)
            rows[(step, key)] = Delivery(incident.id, step, key, FAILED, now, d.attempts, error)
            then = "" if "/" in step or not self.alerting.fallback_channel else \
                f"，改发备用通道 {self.alerting.fallback_channel}"
            self._event(incident, "gave_up", f"{labels[base]} → {key}：{limit} 内 {d.attempts} 次未送达，放弃{then}")
            log.error("incident %s: gave up delivering %s to %s after %d attempts", incident.id, step, key, d.attempts)

    def _removed(self, incident: Incident, step: DueStep, channel: str, rows: dict, now: datetime) -> None:
        """A channel the running config no longer has: logged failed once, the fallback takes the step."""
        if (step.key, channel) in rows or not self.store.claim_delivery(incident.id, step.key, channel, now,
                                                                        fence=self.fence()):
            return
        fallback = self.alerting.fallback_channel
        self.store.finish_delivery(incident.id, step.key, channel, FAILED, now, 0, "channel removed from the config")
        rows[(step.key, channel)] = Delivery(incident.id, step.key, channel, FAILED, now, 0, "channel removed")
        then = f"改发备用通道 {fallback}" if fallback and fallback != channel else "未配置备用通道，无法送达"
        self._event(incident, "channel_removed", f"{step.label}：通道 {channel} 已从配置中删除，{then}")
        log.warning("incident %s: channel %s is no longer configured; %s", incident.id, channel,
                    f"sending to {fallback}" if fallback and fallback != channel else "no fallback channel")

    # sending
    def deliver(self, notices: Iterable[Notice]) -> tuple[int, int]:
        """Send every notice, one message per (brand, URL); returns (messages sent, messages failed)."""
        sent = failed = 0
        for _, batch in groupby(sorted(notices, key=lambda n: n.batch), key=lambda n: n.batch):
            outcome = self._send(list(batch))
            if outcome is not None:
                sent += outcome.ok
                failed += not outcome.ok
        return sent, failed

    def _send(self, batch: list[Notice]) -> Outcome | None:
        now = self.clock.now()
        claimed = []
        for n in batch:
            if n.row is None:
                if not self.store.claim_delivery(n.incident.id, n.log_step, n.target.key, now, fence=self.fence()):
                    continue
                for _, log_step in n.merged:
                    if self.store.claim_delivery(n.incident.id, log_step, n.target.key, now, fence=self.fence()):
                        self.store.finish_delivery(n.incident.id, log_step, n.target.key, SKIPPED, now, 0,
                                                   MERGED + n.log_step)
            else:  # a retry, or a resend of an interrupted claim: in flight again
                self.store.finish_delivery(n.incident.id, n.log_step, n.target.key, PENDING, now, n.row.attempts,
                                           n.row.error)
            claimed.append(n)
        if not claimed:
            return None
        target = claimed[0].target
        outcome = self.notifier.send(target, self._render(claimed, target))
        for n in claimed:
            attempts = (n.row.attempts if n.row else 0) + 1
            self.store.finish_delivery(n.incident.id, n.log_step, target.key, SENT if outcome.ok else RETRYING,
                                       self.clock.now(), attempts, outcome.error)
            if outcome.ok:
                self._delivered(n, attempts)
            elif attempts == 1:
                self._event(n.incident, "delivery_failed", f"{n.label} → {target.key}: {outcome.error}（将重试）")
        if not outcome.ok:  # one line when a URL starts failing; the attempts are counted in the log row
            log.log(logging.WARNING if any(n.row is None for n in claimed) else logging.DEBUG,
                    "delivery to %s failed (will retry): %s", target.key, outcome.error)
        return outcome

    def _delivered(self, n: Notice, attempts: int) -> None:
        notes = []
        if n.row is not None and n.row.status == PENDING:
            notes.append("中断后重发")
        elif attempts > 1:
            notes.append(f"第 {attempts} 次尝试")
        detail = f"{n.label} → {n.target.key}" + (f"（{'，'.join(notes)}）" if notes else "")
        if n.fallback_for:
            self._event(n.incident, "fallback", f"{n.step.label}：{n.fallback_for} 投递失败，"
                                                 f"备用通道 {n.target.key} 已转发")
        else:
            kind = "notified" if n.step.index == 0 and n.step.round == 0 else "escalated"
            self._event(n.incident, kind, detail)

    def _render(self, batch: list[Notice], target: Target) -> Message:
        shape = self.notifier.shape(target)
        if len(batch) == 1:
            n = batch[0]
            title, body = alert_message(n.incident, self.style, n.label, self._ack_url(n.incident), shape)
        else:
            title, body = digest_message([(n.incident, n.label, self._ack_url(n.incident)) for n in batch],
                                         self.style, shape)
        worst = max((n.incident.severity for n in batch), key=lambda s: SEVERITY_RANK[s])
        return Message(title, body, "html" if shape.html else "text", worst)

    def _ack_url(self, incident: Incident) -> str | None:
        return self.ack_links.url(incident.id) if self.ack_links else None

    def resolved(self, incident: Incident) -> None:
        """The resolved notice goes to every URL that was told about the incident (quick retries only)."""
        reached = sorted({d.channel for d in self.store.deliveries(incident.id) if d.status == SENT})
        for key in reached:
            target = next((t for t in self.notifier.targets(channel_of(key)) or () if t.key == key), None)
            if target is None or not self.store.claim_delivery(incident.id, RESOLVED_STEP, key, self.clock.now(),
                                                               fence=self.fence()):
                continue
            shape = self.notifier.shape(target)
            title, body = resolved_message(incident, self.style, shape)
            outcome = self.notifier.send(target, Message(title, body, "html" if shape.html else "text", "info"))
            self.store.finish_delivery(incident.id, RESOLVED_STEP, key, SENT if outcome.ok else FAILED,
                                       self.clock.now(), outcome.attempts, outcome.error)
            if outcome.ok:
                self._event(incident, "resolved_notice", f"恢复通知 → {key}")

    def _event(self, incident: Incident, kind: str, detail: str) -> None:
        self.store.add_event(Event(incident.id, self.clock.now(), kind, detail))
