"""The reply queue: each brand's negative mentions nobody has answered, oldest first, against the SLA.

A mention is answered when one of the brand's official accounts replied in its comment tree (a reply
whose parent chain reaches it), or, on a thread page, posted in the same thread after it (a floor reply,
or any reply under the thread's first post); or when someone marked it handled. Snoozed items wait.
The queue is computed from the store each time, so a crawl that brings the official reply empties it.
It is read a page at a time (Store.pages, oldest first), so it is complete however big a brand is, in
memory bounded by a page per brand and the brand's official replies with the parent chains they answer.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import islice, takewhile
from typing import Any

from monitor.clock import Clock, utc
from monitor.config.model import BrandConfig, Config, SlaTier
from monitor.mention import Author, Mention
from monitor.reply.accounts import OfficialAccounts
from monitor.reply.marks import PREFIX, Mark, load_marks, save_mark
from monitor.store.base import Query, Store

PAGE = 1_000  # mentions read at once while walking a window (Store.pages)
SHOWN = 50  # items a list of the queue shows unless asked for more (the CLI's --limit, the phone page)
CHUNK = 500  # ids or threads asked for in one query
MARKS = 1_000_000  # reply marks read for a report: one per mention someone assigned, handled or snoozed
OK, DUE_SOON, BREACHED, SNOOZED = "ok", "due_soon", "breached", "snoozed"
STATES = (BREACHED, DUE_SOON, OK, SNOOZED)
ORDERS = ("age", "due")  # oldest first; soonest due (most urgent) first


@dataclass(frozen=True, slots=True)
class MentionRow:
    """What the reply desk reads of a mention to place it (Store.pages with FIELDS): who wrote it, when,
    where in which thread, and how it reads. Decoding whole records was most of a queue walk's cost;
    only the items shown, or sent as examples, need their text."""

    id: str
    published_at: datetime
    platform: str
    content_type: str
    author: Author
    thread_id: str | None
    parent_id: str | None
    sentiment_label: str | None

    FIELDS = ("id", "published_at", "platform", "content_type", "author.id", "author.name", "author.followers",
              "thread_id", "parent_id", "sentiment_label")

    @classmethod
    def from_row(cls, row: tuple) -> "MentionRow":
        mid, at, platform, content_type, author_id, name, followers, thread, parent, label = row  # as FIELDS
        return cls(mid, utc(datetime.fromisoformat(at)), platform, content_type or "post",
                   Author(author_id, name, followers), thread, parent, label)


@dataclass(frozen=True)
class QueueItem:
    """A queued complaint; `mention` is its MentionRow inside the walk, the whole mention once handed out."""

    mention: Mention | MentionRow
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


@dataclass(frozen=True)
class Listing:
    """What a list of the queue shows: its first items in the asked order, how many items there are of
    the states asked for (`total`), and of every state (`states`)."""

    items: list[QueueItem]
    total: int
    states: dict[str, int]


def tier_for(mention: Mention | MentionRow, tiers: tuple[SlaTier, ...]) -> SlaTier | None:
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


class Answers:
    """What a brand's official replies answer: the mentions up their parent chains (`parent`: mention id →
    its parent's id, for the mentions known), and in their threads what came before a floor reply, or
    the thread's first post before any reply in it. Decided mention by mention, so a queue walk needs
    only the official replies and their chains, not their threads."""

    def __init__(self, official: list[Mention] | list[MentionRow], parent: dict[str, str | None]) -> None:
        self.chains: set[str] = set()
        self.floor_after: dict[str, datetime] = {}  # thread → latest official floor reply: answers all before it
        self.root_answered: dict[str, datetime] = {}  # thread → latest official reply anywhere in it
        for r in official:
            seen, node = set(), r.parent_id
            while node and node not in seen:
                seen.add(node)
                self.chains.add(node)
                node = parent.get(node)
            if r.thread_id and (r.parent_id is None or r.parent_id == r.thread_id):
                self.floor_after[r.thread_id] = max(self.floor_after.get(r.thread_id, r.published_at), r.published_at)
            if r.thread_id:
                self.root_answered[r.thread_id] = max(self.root_answered.get(r.thread_id, r.published_at),
                                                      r.published_at)

    def __contains__(self, m: Mention) -> bool:
        if m.id in self.chains:
            return True
        if not m.thread_id:
            return False
        if m.thread_id in self.floor_after and m.published_at <= self.floor_after[m.thread_id]:
            return True
        is_root = m.parent_id is None and m.content_type == "post"
        return is_root and m.thread_id in self.root_answered and m.published_at <= self.root_answered[m.thread_id]


def answered_ids(mentions: list[Mention], official: list[Mention]) -> set[str]:
    """Ids of mentions an official reply answers: its parent chain, or a later floor reply in the thread."""
    answers = Answers(official, {m.id: m.parent_id for m in mentions})
    return answers.chains | {m.id for m in mentions if m in answers}


class ReplyDesk:
    """The queue and what people do with it: assign, mark handled with a note, snooze."""

    def __init__(self, config: Config, store: Store, clock: Clock | None = None, page: int = PAGE) -> None:
        self.config = config
        self.store = store
        self.clock = clock or Clock()
        self.page = page
        self.official = OfficialAccounts(config.brands)

    def stream(self, brand: str | None = None, include_snoozed: bool = False) -> Iterator[QueueItem]:
        """Every queued item, oldest first (a mention naming two brands is queued for each), read from
        the store a page per brand at a time as the caller goes on."""
        walk = self._walk(brand, include_snoozed)
        while chunk := list(islice(walk, self.page)):
            yield from self._whole(chunk)

    def _walk(self, brand: str | None, include_snoozed: bool) -> Iterator[QueueItem]:
        """The queue as MentionRows, oldest first."""
        now = self.clock.now()
        return heapq.merge(*(self._queued(b, now, include_snoozed) for b in self._brands(brand)),
                           key=lambda i: (i.mention.published_at, i.mention.id))

    def _whole(self, items: list[QueueItem]) -> list[QueueItem]:
        """The items with their whole mentions, read by id (one gone from the store meanwhile is dropped)."""
        ids = list(dict.fromkeys(i.mention.id for i in items))
        found: dict[str, Mention] = {}
        for n in range(0, len(ids), CHUNK):
            found.update((m.id, m) for m in self.store.find(Query(ids=tuple(ids[n:n + CHUNK])), limit=CHUNK))
        return [replace(i, mention=found[i.mention.id]) for i in items if i.mention.id in found]

    def breaches(self, examples: int) -> dict[tuple[str, str], tuple[int, list[QueueItem]]]:
        """Per brand and SLA severity: how many queued items are past due, and the oldest `examples` of
        them, whole (one walk over the queue's MentionRows)."""
        counts: Counter[tuple[str, str]] = Counter()
        oldest: dict[tuple[str, str], list[QueueItem]] = {}
        for item in self._walk(None, include_snoozed=False):
            if item.state == BREACHED:
                key = (item.brand, item.tier.severity)
                counts[key] += 1
                if len(first := oldest.setdefault(key, [])) < examples:
                    first.append(item)
        out: dict[tuple[str, str], tuple[int, list[QueueItem]]] = {key: (counts[key], []) for key in oldest}
        for item in self._whole([i for items in oldest.values() for i in items]):  # in order: oldest first
            out[(item.brand, item.tier.severity)][1].append(item)
        return out

    def items(self, brand: str | None = None, include_snoozed: bool = False) -> list[QueueItem]:
        return list(self.stream(brand, include_snoozed))

    def listing(self, brand: str | None = None, include_snoozed: bool = False, limit: int = SHOWN,
                order: str = "age", states: tuple[str, ...] = ()) -> Listing:
        """The first `limit` items in `states` (all when empty), oldest first ('age') or soonest due first
        ('due'), and how many there are: one pass over the queue, holding only what is shown."""
        if order not in ORDERS:
            raise ValueError(f"unknown order {order!r} (known: {', '.join(ORDERS)})")
        counts: Counter[str] = Counter()

        def wanted() -> Iterator[QueueItem]:
            for item in self._walk(brand, include_snoozed):
                counts[item.state] += 1
                if not states or item.state in states:
                    yield item

        found = wanted()
        if order == "due":
            shown = heapq.nsmallest(limit, found, key=lambda i: (i.due_at, i.mention.published_at, i.mention.id))
        else:
            shown = list(islice(found, limit))
            for _ in found:  # counted, not kept
                pass
        total = sum(n for state, n in counts.items() if not states or state in states)
        return Listing(self._whole(shown), total, {state: counts[state] for state in STATES if counts[state]})

    def _queued(self, b: BrandConfig, now: datetime, include_snoozed: bool) -> Iterator[QueueItem]:
        """The brand's queued items, oldest first: its negative mentions of the lookback window a page at
        a time, less those its official replies answered (read first: they are few) and those marked."""
        reply = self.config.reply
        window = Query(brand=b.name, start=now - reply.lookback, end=now + timedelta(minutes=1))
        done = self._answered(b, window) if b.official_accounts else Answers([], {})
        for page in self.store.pages(replace(window, sentiments=("negative",)), self.page, MentionRow.FIELDS):
            tiered = [(m, tier) for m in map(MentionRow.from_row, page) if m not in done and not self.official.is_official(m, b.name)
                      and (tier := tier_for(m, reply.sla)) is not None]
            marks = load_marks(self.store, [m.id for m, _ in tiered])
            for m, tier in tiered:
                mark = marks.get(m.id) or Mark(m.id)
                if mark.handled_at is not None:
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
                yield QueueItem(m, b.name, tier, due, state, mark)

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
            if not self._queued_now(mention_id):
                raise KeyError(mention_id)  # a typo must not leave a mark nobody will ever see
            mark = Mark(mention_id)
        event = {"at": self.clock.now().isoformat(), "by": by, "action": action, "detail": detail}
        mark = replace(mark, **changes, history=(*mark.history, event))
        save_mark(self.store, mark)
        return mark

    def _queued_now(self, mention_id: str) -> bool:
        """Is the mention in the queue (snoozed or not)? Only its brands' queues are walked, up to its time."""
        found = self.store.find(Query(ids=(mention_id,)), limit=1)
        if not found:
            return False
        at = found[0].published_at
        return any(i.mention.id == mention_id for b in self._brands(None) if b.name in found[0].brands
                   for i in takewhile(lambda i: i.mention.published_at <= at, self._walk(b.name, include_snoozed=True)))

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
            replied, answers = {}, []
            if b.official_accounts:
                answers, official = self._answers(b, Query(brand=b.name, start=start,
                                                           end=end + self.config.reply.lookback))
                replied = _first_reply_times(answers, official)
            seen = {m.id: m for m in answers}  # the rows read for the official replies, complaints among them
            missing = [i for i in handled if i not in seen]
            for n in range(0, len(missing), CHUNK):
                seen.update((m.id, m) for m in self._every(replace(period, ids=tuple(missing[n:n + CHUNK]))))
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

    def _answered(self, b: BrandConfig, window: Query) -> Answers:
        """What the brand's official posts and replies of the window answer: those, and the parent chains
        they reply to, read by id (an indexed lookup on both stores; only the window's mentions of the
        brand count, as in answered_ids over the window)."""
        official = self._official(b, window)
        chains = self._with_parents({m.id: m for m in official}, window)
        return Answers(official, {i: m.parent_id for i, m in chains.items()})

    def _official(self, b: BrandConfig, window: Query) -> list[MentionRow]:
        return [m for m in self._every(self._official_query(b, window)) if self.official.is_official(m, b.name)]

    def _official_query(self, b: BrandConfig, window: Query) -> Query:
        """The brand's accounts on the platforms they are listed for (an account counts on those only, and
        the platform is a column both stores filter on before reading who wrote a mention)."""
        accounts = tuple(dict.fromkeys(a for names in b.official_accounts.values() for a in names))
        return replace(window, written_by=accounts, platforms=tuple(b.official_accounts))

    def _answers(self, b: BrandConfig, window: Query) -> tuple[list[MentionRow], list[MentionRow]]:
        """The mentions of the window that the brand's official posts and replies may answer (the official
        ones, the threads they posted in, the parent chains they reply to: answered_ids' rule needs no
        more), and those official ones."""
        official = self._official(b, window)
        rows = {m.id: m for m in official}
        threads = sorted({r.thread_id for r in official if r.thread_id})
        for n in range(0, len(threads), CHUNK):
            rows.update((m.id, m) for m in self._every(replace(window, threads=tuple(threads[n:n + CHUNK]))))
        return list(self._with_parents(rows, window).values()), official

    def _with_parents(self, rows: dict[str, MentionRow], window: Query) -> dict[str, MentionRow]:
        """`rows` and the window's mentions up the parent chains they reply to, read by id."""
        wanted = {m.parent_id for m in rows.values() if m.parent_id} - set(rows)
        while wanted:
            ids = sorted(wanted)
            found = [m for n in range(0, len(ids), CHUNK)
                     for m in self._every(replace(window, ids=tuple(ids[n:n + CHUNK])))]
            rows.update((m.id, m) for m in found)
            wanted = {m.parent_id for m in found if m.parent_id} - set(rows)
        return rows

    def _every(self, query: Query) -> Iterator[MentionRow]:
        return (MentionRow.from_row(r) for page in self.store.pages(query, self.page, MentionRow.FIELDS) for r in page)


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
    for page in store.pages(Query(brand=brand, start=start, end=end, written_by=names), PAGE):  # oldest first
        for m in page:
            if accounts.is_official(m, brand):
                return m
    return None


def parse_ts(value: str | None) -> datetime | None:
    return utc(datetime.fromisoformat(value)) if value else None
