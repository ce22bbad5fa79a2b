"""The daemon's one durable queue, in front of NLP and the store.

Every crawled batch is written here (fsynced) before anything else happens to it, and leaves only once
it is stored. A batch is `raw` until NLP scored it, then `scored` (replaced in place, so it keeps its
place in line and is never scored twice); a source's crawl state written while the store was down is a
`state` item, applied in the same order. SQLite in WAL mode with `synchronous=FULL`: a commit that
returned survives a crash or a power cut.

Attempts are counted only for failures that are the item's own (NLP raised on it, the store refused
it); an item that fails `max_attempts` times goes to the dead-letter file (one JSON line each, fsynced)
instead of coming back forever. A store outage is nobody's item's fault: it stops the drain, counts no
attempt, and the items wait in order.

Someone deleting or replacing the queue file under the running daemon is detected (`check`): the
open connection still reads the deleted file, so what it held is written back to the path and the
event is reported.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.clock import Clock
from monitor.mention import Mention

log = logging.getLogger(__name__)

RAW, SCORED, STATE = "raw", "scored", "state"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    size INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    enqueued_at REAL NOT NULL,
    not_before REAL NOT NULL DEFAULT 0,
    last_error TEXT
);
"""


class QueueBroken(Exception):
    """The queue cannot take an item (disk full, file unwritable): the caller must not act as if it had."""


@dataclass(frozen=True)
class Item:
    seq: int
    kind: str
    payload: Any
    attempts: int
    enqueued_at: float

    @property
    def mentions(self) -> list[Mention]:
        return [Mention.from_dict(d) for d in self.payload]


@dataclass(frozen=True)
class Restored:
    """What `check` found: the file had gone, and how many items it wrote back."""

    items: int
    reason: str


class WorkQueue:
    def __init__(self, folder: Path, clock: Clock | None = None, max_attempts: int = 5,
                 retry_after: float = 30.0) -> None:
        self.folder = folder
        self.path = folder / "queue.db"
        self.dead_letter = folder / "dead-letter.jsonl"
        self.clock = clock or Clock()
        self.max_attempts = max_attempts
        self.retry_after = retry_after
        self._lock = threading.RLock()
        self._claimed: set[int] = set()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._db, self._identity = self._open()
        except (OSError, sqlite3.Error) as exc:
            raise QueueBroken(f"cannot open the queue {self.path}: {exc}") from exc

    def _open(self) -> tuple[sqlite3.Connection, tuple[int, int]]:
        db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(_SCHEMA)
        st = os.stat(self.path)
        return db, (st.st_dev, st.st_ino)

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _write(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, args)
        except sqlite3.Error as exc:
            raise QueueBroken(f"queue {self.path}: {exc}") from exc

    # adding
    def put_mentions(self, mentions: list[Mention], kind: str = RAW) -> int:
        """Durable when this returns; the batch's place in line."""
        return self._put(kind, [m.to_dict() for m in mentions], len(mentions))

    def put_state(self, key: str, value: Any) -> int:
        return self._put(STATE, {"key": key, "value": value}, 0)

    def _put(self, kind: str, payload: Any, size: int) -> int:
        text = json.dumps(payload, ensure_ascii=False)
        with self._lock:
            cur = self._write("INSERT INTO items(kind, payload, size, enqueued_at) VALUES (?,?,?,?)",
                              (kind, text, size, self._now()))
            return int(cur.lastrowid)

    # taking
    def claim_next(self, up_to: int | None = None) -> Item | None:
        """The oldest item no one is working on and not waiting out a retry pause (optionally only up
        to seq `up_to`); it stays in the queue until `done`, `release`, `failed` or `replace`."""
        with self._lock:
            claimed = tuple(self._claimed)
            sql = (f"SELECT seq, kind, payload, attempts, enqueued_at FROM items WHERE not_before <= ?"
                   f"{' AND seq <= ?' if up_to is not None else ''}"
                   f" AND seq NOT IN ({','.join('?' * len(claimed))}) ORDER BY seq LIMIT 1")
            args = (self._now(), *((up_to,) if up_to is not None else ()), *claimed)
            row = self._db.execute(sql, args).fetchone()
            if row is None:
                return None
            self._claimed.add(row[0])
            return Item(row[0], row[1], json.loads(row[2]), row[3], row[4])

    def release(self, item: Item, error: str | None = None) -> None:
        """Give the item back untouched (the store is down: not its fault), noting why."""
        with self._lock:
            self._claimed.discard(item.seq)
            if error is not None:
                self._write("UPDATE items SET last_error=? WHERE seq=?", (error, item.seq))

    def replace(self, item: Item, kind: str, mentions: list[Mention]) -> Item:
        """The scored batch takes the raw one's place (same seq, still claimed)."""
        payload = [m.to_dict() for m in mentions]
        with self._lock:
            self._write("UPDATE items SET kind=?, payload=?, size=? WHERE seq=?",
                        (kind, json.dumps(payload, ensure_ascii=False), len(mentions), item.seq))
        return Item(item.seq, kind, payload, item.attempts, item.enqueued_at)

    def done(self, item: Item) -> None:
        with self._lock:
            self._write("DELETE FROM items WHERE seq=?", (item.seq,))
            self._claimed.discard(item.seq)

    def failed(self, item: Item, error: str) -> bool:
        """One more attempt failed because of the item itself: wait, or go to the dead-letter file after
        `max_attempts`. True when it was dead-lettered."""
        attempts = item.attempts + 1
        with self._lock:
            self._claimed.discard(item.seq)
            if attempts < self.max_attempts:
                pause = self.retry_after * 2 ** (attempts - 1)
                self._write("UPDATE items SET attempts=?, not_before=?, last_error=? WHERE seq=?",
                            (attempts, self._now() + pause, error, item.seq))
                return False
            self._bury(item.kind, item.payload, attempts, error, item.enqueued_at)
            self._write("DELETE FROM items WHERE seq=?", (item.seq,))
        log.error("dead-lettered queue item %d (%s, %d mentions) after %d attempts: %s; kept in %s",
                  item.seq, item.kind, len(item.payload) if item.kind != STATE else 0, attempts, error,
                  self.dead_letter)
        return True

    def refused(self, refused: list[tuple[Mention, str]]) -> None:
        """Mentions the store refused for their content: straight to the dead-letter file, with the reason."""
        for mention, why in refused:
            self._bury(SCORED, [mention.to_dict()], 1, why, self._now())

    def _bury(self, kind: str, payload: Any, attempts: int, error: str, enqueued_at: float) -> None:
        line = json.dumps({"kind": kind, "attempts": attempts, "error": error, "enqueued_at": enqueued_at,
                           "dead_at": self._now(), "payload": payload}, ensure_ascii=False) + "\n"
        try:
            with self._lock, self.dead_letter.open("a", encoding="utf-8") as out:
                out.write(line)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise QueueBroken(f"cannot write the dead-letter file {self.dead_letter}: {exc}") from exc

    # looking
    def depth(self) -> tuple[int, int]:
        """(items, mentions) waiting."""
        with self._lock:
            items, mentions = self._db.execute("SELECT count(*), coalesce(sum(size), 0) FROM items").fetchone()
        return int(items), int(mentions)

    def oldest_age(self) -> float | None:
        """Seconds the oldest waiting item has waited, or None when the queue is empty."""
        with self._lock:
            (oldest,) = self._db.execute("SELECT min(enqueued_at) FROM items").fetchone()
        return None if oldest is None else max(0.0, self._now() - oldest)

    def older_waiting(self, seq: int) -> bool:
        """Is an item ahead of `seq` waiting that no one is working on (so `seq` must not jump the line)?"""
        with self._lock:
            claimed = tuple(self._claimed)
            row = self._db.execute(
                f"SELECT 1 FROM items WHERE seq < ? AND seq NOT IN ({','.join('?' * len(claimed))}) LIMIT 1",
                (seq, *claimed)).fetchone()
        return row is not None

    def latest_state(self, key: str) -> tuple[bool, Any]:
        """(True, value) when a state write for `key` still waits here: it is newer than the store's."""
        with self._lock:
            row = self._db.execute("SELECT payload FROM items WHERE kind=? AND json_extract(payload, '$.key')=?"
                                   " ORDER BY seq DESC LIMIT 1", (STATE, key)).fetchone()
        return (True, json.loads(row[0])["value"]) if row else (False, None)

    def dead_letters(self) -> int:
        try:
            with self.dead_letter.open("rb") as f:
                return sum(1 for _ in f)
        except FileNotFoundError:
            return 0

    def check(self) -> Restored | None:
        """Is the file on disk still the one this queue writes to? If it was deleted or replaced, write
        what the open connection still holds back to the path, and say so."""
        with self._lock:
            try:
                st = os.stat(self.path)
                same = (st.st_dev, st.st_ino) == self._identity
            except FileNotFoundError:
                same = False
            if same:
                return None
            items, _ = self.depth()
            reason = f"the queue file {self.path} was deleted or replaced under the running daemon"
            log.error("%s; writing back the %d items it held", reason, items)
            self.folder.mkdir(parents=True, exist_ok=True)
            for leftover in (self.path, self.path.with_name(self.path.name + "-wal"),
                             self.path.with_name(self.path.name + "-shm")):
                if leftover.exists():
                    leftover.rename(leftover.with_name(leftover.name + f".found-{int(self._now())}"))
            fresh = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
            self._db.backup(fresh)
            fresh.execute("PRAGMA journal_mode=WAL")
            fresh.execute("PRAGMA synchronous=FULL")
            old, self._db = self._db, fresh
            st = os.stat(self.path)
            self._identity = (st.st_dev, st.st_ino)
            old.close()
            return Restored(items, reason)

    def close(self) -> None:
        with self._lock:
            self._db.close()
