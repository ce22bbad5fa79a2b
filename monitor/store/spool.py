"""What the search index could not take yet, kept on disk until it can.

Mentions: one append-only JSON-lines file, fsynced on every append, plus an offset file that says how
far a replay got, so they come back in the order they came. A crash between indexing a chunk and
saving the offset replays that chunk again, which is harmless: mentions are written by id.
Named state (spider cursors, source health): the latest value per key, in one JSON file.
Several processes may share a spool; a file lock orders them.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from monitor.mention import Mention


class Spool:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.log = folder / "mentions.jsonl"
        self.offset_file = folder / "mentions.offset"
        self.rejected = folder / "rejected.jsonl"
        self.states = folder / "state.json"
        self._lock = threading.Lock()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.folder / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @staticmethod
    def _write_atomically(path: Path, text: str) -> None:
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)

    def _offset(self) -> int:
        try:
            return int(self.offset_file.read_text() or 0)
        except FileNotFoundError:
            return 0

    def has_pending(self) -> bool:
        """Cheap: is anything written but not yet replayed?"""
        try:
            return self.log.stat().st_size > self._offset()
        except FileNotFoundError:
            return False

    def pending(self) -> int:
        """How many mentions wait (reads the file)."""
        if not self.has_pending():
            return 0
        with self._locked(), self.log.open("rb") as f:
            f.seek(self._offset())
            return sum(1 for line in f if line.endswith(b"\n"))

    def append(self, mentions: list[Mention]) -> None:
        """Durable when this returns: the lines are on disk (fsync), behind everything spooled before."""
        if not mentions:
            return
        data = "".join(json.dumps(m.to_dict(), ensure_ascii=False) + "\n" for m in mentions).encode("utf-8")
        with self._locked(), self.log.open("ab+") as out:
            self._drop_torn_tail(out)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())

    def set_aside(self, refused: list[tuple[Mention, str]]) -> None:
        """Mentions the index refused (bad field values): kept with the reason in rejected.jsonl, never
        replayed by itself, so a fixed brandmon or a person can re-ingest them."""
        if not refused:
            return
        data = "".join(json.dumps({"reason": why, "mention": m.to_dict()}, ensure_ascii=False) + "\n"
                       for m, why in refused).encode("utf-8")
        with self._locked(), self.rejected.open("ab") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())

    @staticmethod
    def _drop_torn_tail(f) -> None:
        """A crash mid-append can leave half a line that was never acknowledged; cut it off."""
        end = pos = f.seek(0, os.SEEK_END)
        while pos > 0:
            step = min(1 << 16, pos)
            f.seek(pos - step)
            chunk = f.read(step)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                pos = pos - step + newline + 1
                break
            pos -= step
        if pos != end:
            f.truncate(pos)

    def replay(self, handle: Callable[[list[Mention]], object], batch: int = 500) -> int:
        """Hand spooled mentions to `handle` in order, `batch` at a time; each batch is forgotten only
        after `handle` returned. An exception stops the replay and leaves the rest spooled."""
        done = 0
        with self._locked():
            if not self.log.exists():
                return 0
            offset = self._offset()
            with self.log.open("rb") as f:
                f.seek(offset)
                while True:
                    lines, end = self._read_batch(f, batch)
                    if not lines:
                        break
                    handle([Mention.from_dict(json.loads(line)) for line in lines])
                    offset = end
                    self._write_atomically(self.offset_file, str(offset))
                    done += len(lines)
            if offset >= self.log.stat().st_size:
                self.log.unlink()
                self.offset_file.unlink(missing_ok=True)
        return done

    @staticmethod
    def _read_batch(f, size: int) -> tuple[list[bytes], int]:
        lines: list[bytes] = []
        end = f.tell()
        while len(lines) < size:
            line = f.readline()
            if not line.endswith(b"\n"):  # end of file, or a torn tail the next append cuts off
                break
            end = f.tell()
            if line.strip():
                lines.append(line)
        f.seek(end)
        return lines, end

    # named state
    def has_states(self) -> bool:
        return self.states.exists()

    def kept_states(self) -> dict[str, Any]:
        try:
            return json.loads(self.states.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def keep_state(self, key: str, value: Any) -> None:
        with self._locked():
            states = self.kept_states()
            states[key] = value
            self._write_atomically(self.states, json.dumps(states, ensure_ascii=False))

    def replay_states(self, put: Callable[[str, Any], object]) -> int:
        """Hand each kept (key, value) to `put`; what `put` raised on stays kept."""
        with self._locked():
            states = self.kept_states()
            done = 0
            try:
                for key in list(states):
                    put(key, states[key])
                    del states[key]
                    done += 1
            finally:
                if states:
                    self._write_atomically(self.states, json.dumps(states, ensure_ascii=False))
                else:
                    self.states.unlink(missing_ok=True)
            return done
