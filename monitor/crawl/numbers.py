"""Counts as Chinese sites print them ("1.2万", "3亿", "100万+", "1,234") to integers."""

from __future__ import annotations

import re

_COUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(万|w|W|亿|k|K)?")
_SCALE = {None: 1, "万": 10_000, "w": 10_000, "W": 10_000, "亿": 100_000_000, "k": 1_000, "K": 1_000}


def parse_count(value: object) -> int | None:
    """None when there is no number at all, so a missing count is not mistaken for zero."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    m = _COUNT.search(str(value).replace(",", ""))
    if m is None:
        return None
    return int(round(float(m.group(1)) * _SCALE[m.group(2)]))
