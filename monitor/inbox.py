"""Crawled mentions that could not be scored or stored yet, kept on disk until the daemon replays them."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from monitor.mention import Mention


class Inbox:
    """One JSON-lines file per batch, written atomically, replayed oldest first."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._seq = 0

    def put(self, mentions: list[Mention]) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._seq += 1
            name = f"{time.time_ns():020d}-{os.getpid()}-{self._seq}.jsonl"
        path = self.folder / name
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as out:
            for m in mentions:
                out.write(json.dumps(m.to_dict(), ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
        tmp.rename(path)
        return path

    def batches(self) -> list[Path]:
        return sorted(self.folder.glob("*.jsonl")) if self.folder.is_dir() else []

    def pending(self) -> int:
        """Mentions waiting, across all batches."""
        return sum(sum(1 for _ in p.open(encoding="utf-8")) for p in self.batches())

    def replay(self, handle: Callable[[list[Mention]], object]) -> int:
        """Hand each batch to `handle`, oldest first; a batch is deleted only after `handle` returned."""
        done = 0
        for path in self.batches():
            lines = path.read_text(encoding="utf-8").splitlines()
            handle([Mention.from_dict(json.loads(line)) for line in lines if line.strip()])
            path.unlink()
            done += len(lines)
        return done
