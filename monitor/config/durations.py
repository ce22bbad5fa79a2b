"""Human durations ("90s", "15m", "2h", "1d", "1h30m") as timedelta."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like '15m', got {value!r}")
    if isinstance(value, (int, float)):
        return timedelta(seconds=value)
    text = str(value).strip().lower()
    pos, seconds = 0, 0.0
    for match in _PART.finditer(text):
        if match.start() != pos and text[pos:match.start()].strip():
            break
        seconds += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not text or pos == 0 or text[pos:].strip():
        raise ValueError(f"expected a duration like '90s', '15m', '2h' or '1d', got {value!r}")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


if TYPE_CHECKING:
    from pydantic import BeforeValidator

    Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def __getattr__(name: str) -> Any:
    """`Duration` (a pydantic type) is built on first use, so the CLI can parse durations without pydantic."""
    if name == "Duration":
        from pydantic import BeforeValidator

        return Annotated[timedelta, BeforeValidator(parse_duration)]
    raise AttributeError(f"module 'monitor.config.durations' has no attribute {name!r}")
