"""A local SMTP server (aiosmtpd) that saves every message it receives as an .eml file."""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path

from aiosmtpd.controller import Controller

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP line at INFO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _SaveToFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self.count = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            self.count += 1
            rcpt = envelope.rcpt_tos[0].replace("@", "_at_") if envelope.rcpt_tos else "nobody"
            path = self.folder / f"{self.count:03d}-{rcpt}.eml"
        path.write_bytes(envelope.original_content or envelope.content)
        return "250 OK"


class Mailbox:
    def __init__(self, folder: Path, port: int | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.port = port or free_port()
        self._handler = _SaveToFolder(folder)
        self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port)

    def start(self) -> "Mailbox":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    @property
    def messages(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml"))

    def url(self, to: str) -> str:
        """The apprise URL that delivers to this mailbox."""
        return f"mailto://127.0.0.1:{self.port}?from=brandmon@localhost&to={to}&name=brandmon"
