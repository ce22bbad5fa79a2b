"""Known threads and when to look at each again: soon while people reply, less often as it goes quiet.

A thread is a forum topic, a comment section or a post's comments. A list page that shows a
thread's "mark" (reply count, last-reply time) tells us it changed; without one we re-check on a
schedule that starts at `first`, doubles after every quiet check up to `longest`, and resets when
something new turns up. Threads quiet for longer than `keep` are forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

MAX_THREADS = 2000
MAX_RECHECKS_PER_CRAWL = 100


@dataclass(frozen=True)
class Schedule:
    first: timedelta
    longest: timedelta
    keep: timedelta


@dataclass
class Visit:
    """One walk through a thread's pages in this crawl, and what it found."""

    key: str
    url: str  # where the walk starts: the first page, or the page where the last walk ended
    first_url: str
    reason: str  # "new", "changed" or "recheck"
    mark: str | None = None
    title: str | None = None
    new: int = 0
    pages: int = 0
    pending: list[str] = field(default_factory=list)  # post ids still to fetch (Discourse's post stream)
    counts: tuple[str | None, str | None] = (None, None)  # replies and views as the list printed them

    @property
    def from_start(self) -> bool:
        return self.url == self.first_url


@dataclass
class _Entry:
    key: str
    url: str
    resume: str
    checked: datetime
    next: datetime
    every: float  # seconds
    active: datetime
    mark: str | None = None
    title: str | None = None

    def to_dict(self) -> dict:
        return {"key": self.key, "url": self.url, "resume": self.resume, "mark": self.mark, "title": self.title,
                "checked": self.checked.isoformat(), "next": self.next.isoformat(), "every": self.every,
                "active": self.active.isoformat()}

    @classmethod
    def from_dict(cls, d: dict) -> "_Entry":
        return cls(key=d["key"], url=d["url"], resume=d["resume"], mark=d.get("mark"), title=d.get("title"),
                   checked=datetime.fromisoformat(d["checked"]), next=datetime.fromisoformat(d["next"]),
                   every=float(d["every"]), active=datetime.fromisoformat(d["active"]))


@dataclass
class ThreadBook:
    schedule: Schedule
    now: datetime
    entries: dict[str, _Entry] = field(default_factory=dict)
    _planned: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, rows: list[dict], schedule: Schedule, now: datetime) -> "ThreadBook":
        book = cls(schedule, now)
        for row in rows:
            try:
                entry = _Entry.from_dict(row)
            except (KeyError, TypeError, ValueError):
                continue  # a row from an older layout: the thread is simply rediscovered
            book.entries[entry.key] = entry
        return book

    def plan(self, key: str, first_url: str, mark: str | None = None, title: str | None = None) -> Visit | None:
        """What to fetch of a thread seen on a list page (or a watched target); None when nothing is due."""
        if key in self._planned:
            return None
        entry = self.entries.get(key)
        if entry is None:
            visit = Visit(key, first_url, first_url, "new", mark, title)
        elif mark is not None and mark != entry.mark:
            visit = Visit(key, entry.resume, first_url, "changed", mark, title or entry.title)
        elif entry.next <= self.now:
            visit = Visit(key, entry.resume, first_url, "recheck", mark or entry.mark, title or entry.title)
        else:
            return None
        self._planned.add(key)
        return visit

    def due(self) -> list[Visit]:
        """Known threads whose re-check time has come, soonest first, bounded per crawl."""
        ready = sorted((e for e in self.entries.values() if e.next <= self.now and e.key not in self._planned),
                       key=lambda e: e.next)[:MAX_RECHECKS_PER_CRAWL]
        return [v for e in ready if (v := self.plan(e.key, e.url)) is not None]

    def visited(self, visit: Visit, last_url: str, resume_from_start: bool = False) -> None:
        """Remember where the walk ended and when to come back: soon if it found something."""
        entry = self.entries.get(visit.key)
        first = self.schedule.first.total_seconds()
        if entry is None:
            entry = _Entry(visit.key, visit.first_url, visit.first_url, self.now, self.now, first, self.now)
            self.entries[visit.key] = entry
        entry.url = visit.first_url
        entry.resume = visit.first_url if resume_from_start else last_url
        entry.mark = visit.mark if visit.mark is not None else entry.mark
        entry.title = visit.title or entry.title
        entry.checked = self.now
        if visit.new or visit.reason == "new":
            entry.every, entry.active = first, self.now
        else:
            entry.every = min(entry.every * 2, self.schedule.longest.total_seconds())
        entry.next = self.now + timedelta(seconds=entry.every)

    def failed(self, visit: Visit) -> None:
        """Try again next crawl, from where the last good walk ended; the mark stays old so a list shows it changed."""
        if visit.key not in self.entries:
            first = self.schedule.first.total_seconds()
            self.entries[visit.key] = _Entry(visit.key, visit.first_url, visit.first_url, self.now, self.now,
                                             first, self.now, None, visit.title)

    def to_list(self) -> list[dict]:
        cutoff = self.now - self.schedule.keep
        alive = sorted((e for e in self.entries.values() if e.active >= cutoff),
                       key=lambda e: e.active, reverse=True)[:MAX_THREADS]
        return [e.to_dict() for e in alive]
