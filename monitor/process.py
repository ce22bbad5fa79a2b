"""What a daemon process needs before its heavy parts load: the state directory's lock (two daemons on one
state would send every alert twice) and the signal flags its main loop acts on."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_FILE = "brandmon.pid"


class AlreadyRunning(Exception):
    """Another daemon holds the state directory's lock."""


class StateLock:
    """An flock'd pid file in state_dir: two daemons on one state would send every alert twice."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise AlreadyRunning(
                f"another brandmon daemon (pid {pid}) is already running on {self.path.parent}; "
                f"stop it first (systemctl stop brandmon, or kill {pid}) or give this one another state_dir") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None


def running_pid(state_dir: Path) -> int | None:
    """The pid of the daemon holding state_dir's lock, or None when no daemon runs there."""
    path = state_dir / LOCK_FILE
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
        return int(text) if text.isdigit() else None
    finally:
        os.close(fd)
    return None


class Signals:
    """What the signal handlers ask for; the main loop acts on it, since handlers must stay tiny."""

    def __init__(self) -> None:
        self.stop = False
        self._reload = False

    def install(self) -> None:
        import signal

        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_reload)

    def _on_stop(self, signum, frame) -> None:
        self.stop = True

    def _on_reload(self, signum, frame) -> None:
        self._reload = True

    def take_reload(self) -> bool:
        wanted, self._reload = self._reload, False
        return wanted
