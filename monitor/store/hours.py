"""Whole hours and the partial hours at a window's edges: what hourly rollups answer and what only the
mentions can (both stores split a window the same way)."""

from __future__ import annotations

import math

from monitor.clock import utc
from monitor.store.base import Query

HOUR = 3600


def pieces(q: Query) -> list[tuple[float | None, float | None, bool]]:
    """[start, end) as (lo, hi, whole hours?) pieces in Unix seconds: the partial hours at each edge read raw rows."""
    lo = utc(q.start).timestamp() if q.start else None
    hi = utc(q.end).timestamp() if q.end else None
    first = math.ceil(lo / HOUR) * HOUR if lo is not None else None
    last = math.floor(hi / HOUR) * HOUR if hi is not None else None
    if first is not None and last is not None and first >= last:
        return [(lo, hi, False)] if lo < hi else []
    out = []
    if lo is not None and lo < first:
        out.append((lo, first, False))
    out.append((first, last, True))
    if hi is not None and last < hi:
        out.append((last, hi, False))
    return out
