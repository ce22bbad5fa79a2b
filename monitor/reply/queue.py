"""The reply queue: each brand's negative mentions nobody has answered, oldest first, against the SLA.

A mention is answered when one of the brand's official accounts replied in its comment tree (a reply
whose parent chain reaches it), or, on a thread page, posted in the same thread after it (a floor reply,
or any reply under the thread's first post); or when someone marked it handled. Snoozed items wait.
The queue is computed from the store each time, so a crawl that brings the official reply empties it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from monitor.clock import Clock, utc
from monitor.config.model import BrandConfig, Config, SlaTier
from monitor.mention import Mention
from monitor.reply.accounts import OfficialAccounts
from monitor.reply.marks import PREFIX, Mark, load_marks, save_mark
from monitor.store.base import Query, Store

SCAN = 20_000  # mentions of one brand read per lookback window for the live queue
PAGE = 5_000  # mentions read at once by every(); a window holding more is read in halves
SPLIT_FLOOR = timedelta(seconds=1)  # …down to this: more in one second than a page is read as a page
CHUNK = 500  # ids or threads asked for in one query
MARKS = 1_000_000  # reply marks read for a report: one per mention someone assigned, handled or snoozed
OK, DUE_SOON, BREACHED, SNOOZED = "ok", "due_soon", "breached", "snoozed"


@dataclass(frozen=True)
class QueueItem:
    mention: Mention
    brand: str
    tier: SlaTier
    due_at: datetime
    state: str
    mark: Mark

    def age(self, now: datetime) -> timedelta:
        return now - self.mention.published_at

    def to_dict(self, now: datetime) -> dict[str, Any]:
        m = self.mention
        categories = list(getattr(m, "categories", None) or [])
        return {
            "id": m.id, "url": m.url, "brand": self.brand, "category": categories[0] if categories else None,
            "categories": categories, "platform": m.platform, "source": m.source, "content_type": m.content_type,
            "author": m.author.name, "followers": m.author.followers, "text": m.text[:200],
            "published_at": m.published_at.isoformat(), "age_seconds": int(self.age(now).total_seconds()),
            "sla_seconds": int(self.tier.within.total_seconds()), "due_at": self.due_at.isoformat(),
            "sla_state": self.state, "severity": self.tier.severity, "assignee": self.mark.assignee,
            "snoozed_until": self.mark.snoozed_until.isoformat() if self.mark.snoozed_until else None,
            "note": self.mark.note,
        }


def tier_for(mention: Mention, tiers: tuple[SlaTier, ...]) -> SlaTier | None:
    return tier_of(mention.platform, mention.content_type, mention.author.followers, tiers)


def tier_of(platform: str, content_type: str | None, followers: int | None,
            tiers: tuple[SlaTier, ...]) -> SlaTier | None:
    """The first tier whose platforms, content types and follower floor the mention meets."""
    for tier in tiers:
        if tier.platforms and platform not in tier.platforms:
            continue
        if tier.content_types and content_type not in tier.content_types:
            continue
        if tier.min_followers is not None and (followers or 0) < tier.min_followers:
            continue
        return tier
    return None


def answered_ids(mentions: list[Mention], official: list[Mention]) -> set[str]:
    """Ids of mentions an official reply answers: its parent chain, or a later floor reply in the thread."""
    parent = {m.id: m.parent_id for m in mentions}
    answered: set[str] = set()
    floor_after: dict[str, datetime] = {}  # thread → earliest official reply that answers the whole thread so far
    root_answered: dict[str, datetime] = {}
    for r in official:
        seen, node = set(), r.parent_id
        while node and node not in seen:
            seen.add(node)
            answered.add(node)
            node = parent.get(node)
        if r.thread_id and (r.parent_id is None or r.parent_id == r.thread_id):
            floor_after[r.thread_id] = max(floor_after.get(r.thread_id, r.published_at), r.published_at)
        if r.thread_id:
            root_answered[r.thread_id] = max(root_answered.get(r.thread_id, r.published_at), r.published_at)
    for m in mentions:
        if not m.thread_id:
            continue
        if m.thread_id in floor_after and m.published_at <= floor_after[m.thread_id]:
            answered.add(m.id)
        is_root = m.parent_id is None and m.content_type == "post"
        if is_root and m.thread_id in root_answered and m.published_at <= root_answered[m.thread_id]:
            answered.add(m.id)
    return answered


class ReplyDesk:
    """The queue and what people do with it: assign, mark handled with a note, snooze."""

    def __init__(self, config: Config, store: Store, clock: Clock | None = None) -> None:
        self.config = config
        self.store = store
        self.clock = clock or Clock()
        self.official = OfficialAccounts(config.brands)

    def items(self, brand: str | None = None, include_snoozed: bool = False) -> list[QueueItem]:
        now = self.clock.now()
        reply = self.config.reply
        out: list[QueueItem] = []
        for b in self._brands(brand):
            mentions = self.store.find(Query(brand=b.name, start=now - reply.lookback, end=now + timedelta(minutes=1)),
                                       limit=SCAN)
            official = [m for m in mentions if self.official.is_official(m, b.name)]
            done = answered_ids(mentions, official)
            open_ = [m for m in mentions if m.sentiment_label == "negative" and m.id not in done
                     and not self.official.is_official(m, b.name)]
            marks = load_marks(self.store, [m.id for m in open_])
            for m in open_:
                tier = tier_for(m, reply.sla)
                mark = marks.get(m.id) or Mark(m.id)
                if tier is None or mark.handled_at is not None:
                    continue
                due = m.published_at + tier.within
                if mark.snoozed_until and mark.snoozed_until > now:
                    if not include_snoozed:
                        continue
                    state = SNOOZED
                elif now >= due:
                    state = BREACHED
                elif now >= m.published_at + tier.within * reply.due_soon:
                    state = DUE_SOON
                else:
                    state = OK
                out.append(QueueItem(m, b.name, tier, due, state, mark))
        return sorted(out, key=lambda i: (i.mention.published_at, i.mention.id))

    def _brands(self, brand: str | None) -> list[BrandConfig]:
        return [b for b in self.config.brands if (b.name == brand if brand else not b.competitor)]

    # what people do
    def assign(self, mention_id: str, to: str, by: str) -> Mark:
        return self._change(mention_id, by, "assigned", to, assignee=to)

    def handle(self, mention_id: str, by: str, note: str | None = None) -> Mark:
        return self._change(mention_id, by, "handled", note or "", handled_at=self.clock.now(), handled_by=by,
                            note=note or None)

    def snooze(self, mention_id: str, for_: timedelta, by: str) -> Mark:
        until = self.clock.now() + for_
        return self._change(mention_id, by, "snoozed", until.isoformat(), snoozed_until=until)

    def reopen(self, mention_id: str, by: str) -> Mark:
        return self._change(mention_id, by, "reopened", "", handled_at=None, handled_by=None, snoozed_until=None)

    def _change(self, mention_id: str, by: str, action: str, detail: str, **changes) -> Mark:
        mark = load_marks(self.store, [mention_id]).get(mention_id)
        if mark is None:
            if not any(i.mention.id == mention_id for i in self.items(include_snoozed=True)):
                raise KeyError(mention_id)  # a typo must not leave a mark nobody will ever see
            mark = Mark(mention_id)
        event = {"at": self.clock.now().isoformat(), "by": by, "action": action, "detail": detail}
        mark = replace(mark, **changes, history=(*mark.history, event))
        save_mark(self.store, mark)
        return mark

    def figures(self, start: datetime, end: datetime, brand: str | None = None,
                handled: dict[str, datetime] | None = None) -> dict[str, Any]:
        """Reply-SLA figures for a report: complaints of the period, answered or handled, within the SLA.
        The store counts the complaints of each SLA tier and those past their time (Store.sla_counts, a
        big brand's week is hundreds of thousands); only what changes a complaint's fate is read one by
        one: the official accounts' posts and the threads they answered, and the complaints marked handled
        (`handled`: handled_since(start), when a report asks for each brand in turn)."""
        out = {"negative": 0, "answered": 0, "handled": 0, "within_sla": 0, "breached": 0, "open": 0}
        now, tiers = self.clock.now(), self.config.reply.sla
        handled = self.handled_since(start) if handled is None else handled
        for b in self._brands(brand):
            period = Query(brand=b.name, sentiments=("negative",), start=start, end=end)
            counts = [list(c) for c in self.store.sla_counts(period, tiers, now)]
            replied, answers = self._replies(b, start, end) if b.official_accounts else ({}, [])
            seen = {m.id: m for m in answers}  # the rows read for the official replies, complaints among them
            missing = [i for i in handled if i not in seen]
            for n in range(0, len(missing), CHUNK):
                seen.update((m.id, m) for m in self.store.find(replace(period, ids=tuple(missing[n:n + CHUNK])),
                                                               limit=CHUNK))
            for m in seen.values():
                tier = tier_for(m, tiers)
                if tier is None or m.sentiment_label != "negative" or not start <= m.published_at < end:
                    continue
                k, due = tiers.index(tier), m.published_at + tier.within
                if self.official.is_official(m, b.name):  # the brand's own words are no complaint
                    counts[k][0] -= 1
                    counts[k][1] -= now >= due
                    continue
                done_at = replied.get(m.id)
                if done_at is not None:
                    out["answered"] += 1
                elif m.id in handled:
                    done_at = handled[m.id]
                    out["handled"] += 1
                else:
                    continue
                counts[k][1] -= now >= due  # counted below by when it was done
                if done_at <= due:
                    out["within_sla"] += 1
                else:
                    out["breached"] += 1
            out["negative"] += sum(n for n, _ in counts)
            out["breached"] += sum(late for _, late in counts)
        out["open"] = out["negative"] - out["answered"] - out["handled"]
        return out

    def handled_since(self, start: datetime) -> dict[str, datetime]:
        """Mentions marked handled at `start` or later (a mention is handled after it was published)."""
        marks = (Mark.from_dict(v) for v in self.store.states(PREFIX, limit=MARKS).values() if v)
        return {m.mention_id: m.handled_at for m in marks if m.handled_at and m.handled_at >= start}

    def _replies(self, b: BrandConfig, start: datetime, end: datetime) -> tuple[dict[str, datetime], list[Mention]]:
        """When the brand's official posts and replies of [start, end + lookback) first answered each of its
        mentions, and the mentions read to know it: the official ones, the threads they posted in and the
        parent chains they reply to (answered_ids' rule over the brand's mentions of the window)."""
        window = Query(brand=b.name, start=start, end=end + self.config.reply.lookback)
        accounts = tuple(dict.fromkeys(a for names in b.official_accounts.values() for a in names))
        official = [m for m in every(self.store, replace(window, written_by=accounts))
                    if self.official.is_official(m, b.name)]
        rows = {m.id: m for m in official}
        threads = sorted({r.thread_id for r in official if r.thread_id})
        for n in range(0, len(threads), CHUNK):
            rows.update((m.id, m) for m in every(self.store, replace(window, threads=tuple(threads[n:n + CHUNK]))))
        wanted = {m.parent_id for m in rows.values() if m.parent_id} - set(rows)
        while wanted:  # parents outside those threads, up their chains
            ids = sorted(wanted)
            found = [m for n in range(0, len(ids), CHUNK)
                     for m in every(self.store, replace(window, ids=tuple(ids[n:n + CHUNK])))]
            rows.update((m.id, m) for m in found)
            wanted = {m.parent_id for m in found if m.parent_id} - set(rows)
        return _first_reply_times(list(rows.values()), official), list(rows.values())


def every(store: Store, query: Query, page: int = PAGE) -> list[Mention]:
    """Every mention matching a bounded query: a window holding `page` or more is read in halves."""
    found = store.find(query, limit=page)
    if len(found) < page or query.start is None or query.end is None or query.end - query.start < SPLIT_FLOOR:
        return found
    middle = query.start + (query.end - query.start) / 2
    return every(store, replace(query, end=middle), page) + every(store, replace(query, start=middle), page)


def _first_reply_times(mentions: list[Mention], official: list[Mention]) -> dict[str, datetime]:
    """When each mention was first answered by an official reply."""
    out: dict[str, datetime] = {}
    for r in sorted(official, key=lambda r: r.published_at):
        for mid in answered_ids(mentions, [r]):
            out.setdefault(mid, r.published_at)
    return out


def first_official_reply(store: Store, config: Config, brand: str, start: datetime, end: datetime) -> Mention | None:
    """The brand's first official post or reply in [start, end): the answer a post-mortem times."""
    accounts = OfficialAccounts(config.brands)
    names = tuple(dict.fromkeys(a for b in config.brands if b.name == brand
                                for listed in b.official_accounts.values() for a in listed))
    if not names:
        return None
    found = [m for m in every(store, Query(brand=brand, start=start, end=end, written_by=names))
             if accounts.is_official(m, brand)]
    return min(found, key=lambda m: m.published_at, default=None)


def parse_ts(value: str | None) -> datetime | None:
    return utc(datetime.fromisoformat(value)) if value else None
