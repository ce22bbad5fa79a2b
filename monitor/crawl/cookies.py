"""A cookie pool per platform: logged-in sessions that `brandmon login` stored, handed to crawls in turn.

Kept in <state_dir>/cookies/<platform>.json, readable by the daemon's user only (0600, folder 0700), written
whole under an flock so the login command and the daemon never interleave. An account is set aside when its
cookies have all expired or the platform answered with a login wall; a platform with no account left
"needs login" until an operator runs `brandmon login PLATFORM` again.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

OK, NEEDS_LOGIN = "ok", "needs_login"


@dataclass
class Account:
    name: str
    cookies: list[dict]  # as the browser gave them: name, value, domain, path, expires (s since 1970; -1: session)
    added: str  # ISO time, UTC
    status: str = OK
    reason: str | None = None
    last_used: str | None = None

    def expires(self) -> datetime | None:
        """When the last of its lasting cookies runs out (None: session cookies only, no stated end)."""
        ends = [c["expires"] for c in self.cookies if isinstance(c.get("expires"), (int, float)) and c["expires"] > 0]
        return datetime.fromtimestamp(max(ends), timezone.utc) if ends else None

    def usable(self, now: datetime) -> bool:
        end = self.expires()
        return self.status == OK and (end is None or end > now)

    def jar(self) -> dict[str, str]:
        return {c["name"]: c["value"] for c in self.cookies if c.get("name")}


@dataclass
class _Book:
    accounts: list[Account] = field(default_factory=list)
    turn: int = 0  # the next account to hand out


class CookiePool:
    def __init__(self, state_dir: Path | str, platform: str) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", platform):
            raise ValueError(f"'{platform}' is not a platform name")
        self.platform = platform
        self.path = Path(state_dir) / "cookies" / f"{platform}.json"

    def accounts(self) -> list[Account]:
        return self._read().accounts

    def add(self, name: str, cookies: list[dict], now: datetime) -> Account:
        """A freshly logged-in account (replacing one of the same name), first in line."""
        account = Account(name=name, cookies=[_kept(c) for c in cookies], added=now.isoformat())
        with self._edit() as book:
            book.accounts = [a for a in book.accounts if a.name != name] + [account]
            book.turn = len(book.accounts) - 1
        return account

    def pick(self, now: datetime) -> Account | None:
        """The next usable account in turn (round robin across crawls); None when none is left."""
        with self._edit() as book:
            count = len(book.accounts)
            for step in range(count):
                account = book.accounts[(book.turn + step) % count]
                if account.usable(now):
                    book.turn = (book.turn + step + 1) % count
                    account.last_used = now.isoformat()
                    return account
                if account.status == OK:  # every lasting cookie ran out
                    account.status, account.reason = NEEDS_LOGIN, "its cookies expired"
        return None

    def set_aside(self, name: str, reason: str) -> bool:
        """The platform refused this account's session; True when that is news (it was usable before)."""
        with self._edit() as book:
            for account in book.accounts:
                if account.name == name and account.status == OK:
                    account.status, account.reason = NEEDS_LOGIN, reason
                    return True
        return False

    def newest_login(self) -> datetime | None:
        times = [datetime.fromisoformat(a.added) for a in self.accounts() if a.status == OK]
        return max(times) if times else None

    # the file
    def _read(self) -> _Book:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return _Book()
        except (OSError, ValueError) as exc:
            raise ValueError(f"{self.path}: not a cookie pool ({exc})") from None
        return _Book([Account(**a) for a in data.get("accounts", ())], int(data.get("turn", 0)))

    @contextmanager
    def _edit(self):
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = os.open(self.path.with_suffix(".lock"), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            book = self._read()
            yield book
            tmp = self.path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"accounts": [asdict(a) for a in book.accounts], "turn": book.turn}, out,
                          ensure_ascii=False, indent=1)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        finally:
            os.close(lock)


def _kept(cookie: dict) -> dict:
    """What a cookie needs to be sent again (the browser's extra fields such as size and priority dropped)."""
    return {k: cookie[k] for k in ("name", "value", "domain", "path", "expires", "secure", "httpOnly")
            if k in cookie}


def pool_name(source) -> str:
    """One pool per platform: the preset's name (xiaohongshu), else the source's platform."""
    return getattr(source.options, "preset", None) or source.platform_name
