"""Counts as Chinese sites print them ("1.2万", "3亿", "100万+", "1,234") to integers.

A count must be a whole, finite, non-negative number that a store can hold: "-5", "NaN", "1e999"
are no count at all (None), and one past 2^63 - 1 is held at that bound and reported, never raised.
"""

from __future__ import annotations

import math
import re

MAX_COUNT = 2**63 - 1  # what SQLite INTEGER and Elasticsearch long hold
INVALID, CLAMPED = "invalid", "clamped"

_COUNT = re.compile(r"([-+]?)(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*(万|w|W|亿|k|K)?")
_SCALE = {None: 1, "万": 10_000, "w": 10_000, "W": 10_000, "亿": 100_000_000, "k": 1_000, "K": 1_000}


def parse_count(value: object) -> int | None:
    """None when there is no number at all, so a missing count is not mistaken for zero."""
    return read_count(value)[0]


def read_count(value: object) -> tuple[int | None, str | None]:
    """(count, None), (None, None) when nothing is there, (None, "invalid") or (MAX_COUNT, "clamped")."""
    if value is None or isinstance(value, bool):
        return None, None
    if isinstance(value, int):
        number: float | int = value
    elif isinstance(value, float):
        number = value
    elif isinstance(value, str):
        if value.strip().lower().lstrip("+-") in ("nan", "inf", "infinity"):  # a float's text, not a count
            return None, INVALID
        m = _COUNT.search(value.replace(",", "")[:100])
        if m is None:
            return None, None
        if m.group(1) == "-":
            return None, INVALID
        try:
            base = float(m.group(2)) if not m.group(2).isdigit() else int(m.group(2))
        except (ValueError, OverflowError):
            return None, INVALID
        number = base * _SCALE[m.group(3)]
    else:  # a list or an object where a number belongs
        return None, INVALID
    if isinstance(number, float):
        if not math.isfinite(number):
            return None, INVALID
        if number > MAX_COUNT:
            return MAX_COUNT, CLAMPED
        number = int(round(number))
    if number < 0:
        return None, INVALID
    if number > MAX_COUNT:
        return MAX_COUNT, CLAMPED
    return number, None
