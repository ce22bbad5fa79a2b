"""A seasonal count baseline: the expected count for each slot of the week (or day), learnt bucket by bucket.

Pure arithmetic over counts, so the spike rule, the backtest and bench/detect.py share one model.
Each slot keeps an exponentially smoothed mean of the buckets that fell in it; the expectation of a
slot is blended with its neighbours (half its own, a quarter each side) because one hour next week
resembles the hours around it this week more than the lone sample says. An anomalous bucket is
folded in clipped to the firing threshold, so a crisis does not teach the baseline that crises are normal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from scipy.special import betainc, pdtrc

NEIGHBOUR_WEIGHT = 0.25
SPREAD_SMOOTHING = 0.01  # a few weeks of hourly buckets
MIN_DISPERSION = 1e-6
SPREAD_MIN_EXPECTED = 5.0
EPOCH_TO_MONDAY = 4 * 86400  # the Unix epoch was a Thursday; slot 0 is Monday 00:00 local


@dataclass(frozen=True)
class SpikeTest:
    """How unusual a count is against an expectation: a Poisson upper tail, widened to a negative
    binomial by the over-dispersion the baseline has measured (social chatter varies more than Poisson)."""

    min_count: int
    ratio: float
    p_value: float
    pseudo_count: float

    def rate(self, expected: float) -> float:
        return expected + self.pseudo_count

    def threshold(self, expected: float) -> float:
        """The count from which the ratio and minimum alone would allow firing."""
        return max(self.min_count, self.ratio * self.rate(expected))

    def p(self, count: int, expected: float, dispersion: float = 0.0) -> float:
        """P(X ≥ count) for X with mean expected + pseudo_count and variance mean + dispersion · mean²."""
        if count <= 0:
            return 1.0
        rate = self.rate(expected)
        if dispersion <= MIN_DISPERSION:
            return float(pdtrc(count - 1, rate))
        size = 1 / dispersion
        return float(betainc(count, size, rate / (size + rate)))

    def anomalous(self, count: int, expected: float, dispersion: float = 0.0) -> bool:
        return count >= self.threshold(expected) and self.p(count, expected, dispersion) <= self.p_value


@dataclass
class SeasonalBaseline:
    bucket_seconds: int
    slots: int
    smoothing: float
    zone: str = "UTC"
    means: list[float] = field(default_factory=list)
    seen: list[int] = field(default_factory=list)
    folded_until: float | None = None  # epoch seconds: end of the last bucket folded in
    first_data: float | None = None  # epoch seconds: start of the first bucket that held anything
    spread: tuple[float, float] = (0.0, 0.0)  # smoothed Σ(excess variance), Σ(expected²): their ratio is the dispersion

    def __post_init__(self) -> None:
        if not self.means:
            self.means = [0.0] * self.slots
            self.seen = [0] * self.slots
        self._zone = ZoneInfo(self.zone)

    @classmethod
    def create(cls, bucket: timedelta, season: timedelta | None, smoothing: float, zone: str) -> "SeasonalBaseline":
        size = int(bucket.total_seconds())
        slots = int(season.total_seconds()) // size if season else 1
        return cls(size, slots, smoothing, zone)

    def slot(self, start: float) -> int:
        """Slots follow local time, so 9 a.m. in Shanghai is one slot whatever UTC says."""
        offset = datetime.fromtimestamp(start, timezone.utc).astimezone(self._zone).utcoffset()
        local = start + (offset.total_seconds() if offset else 0) - EPOCH_TO_MONDAY
        return int(local // self.bucket_seconds) % self.slots

    def _level(self) -> float:
        seen = [m for m, n in zip(self.means, self.seen) if n]
        return sum(seen) / len(seen) if seen else 0.0

    def _slot_mean(self, slot: int, level: float) -> float:
        return self.means[slot] if self.seen[slot] else level

    def expected(self, start: float) -> float:
        """The expected count of the bucket starting at `start` (epoch seconds)."""
        s = self.slot(start)
        level = self._level()
        own = self._slot_mean(s, level)
        if self.slots < 3:
            return own
        left = self._slot_mean((s - 1) % self.slots, level)
        right = self._slot_mean((s + 1) % self.slots, level)
        return (1 - 2 * NEIGHBOUR_WEIGHT) * own + NEIGHBOUR_WEIGHT * (left + right)

    def expected_between(self, start: float, end: float) -> float:
        """The expected count of an arbitrary window, summing the buckets it overlaps pro rata."""
        total, at = 0.0, start
        while at < end:
            bucket_start = math.floor(at / self.bucket_seconds) * self.bucket_seconds
            stop = min(end, bucket_start + self.bucket_seconds)
            total += self.expected(bucket_start) * (stop - at) / self.bucket_seconds
            at = stop
        return total

    def fold(self, start: float, count: int, test: SpikeTest) -> None:
        """Learn one finished bucket; empty buckets before the first data mean "not watched yet", not zero."""
        self.folded_until = start + self.bucket_seconds
        if self.first_data is None:
            if not count:
                return
            self.first_data = start
        s = self.slot(start)
        if self.seen[s]:
            expected = self.expected(start)
            anomalous = test.anomalous(count, expected, self.dispersion)
            learnt = min(count, test.threshold(expected)) if anomalous else count
            self._learn_spread(learnt, expected)
            self.means[s] += self.smoothing * (learnt - self.means[s])
        else:  # a slot's first sample has nothing to be judged against
            self.means[s] = float(count)
        self.seen[s] += 1

    @property
    def dispersion(self) -> float:
        excess, scale = self.spread
        return max(excess / scale, 0.0) if scale > 0 else 0.0

    def _learn_spread(self, count: float, expected: float) -> None:
        """Method of moments for a negative binomial: variance − mean ≈ dispersion · mean². Only buckets
        that expect a few mentions count: below that, the noise of the learnt mean itself would pass for spread."""
        if expected < SPREAD_MIN_EXPECTED:
            return
        excess, scale = self.spread
        self.spread = (excess + SPREAD_SMOOTHING * ((count - expected) ** 2 - expected - excess),
                       scale + SPREAD_SMOOTHING * (expected ** 2 - scale))

    def trusted(self, now: float, warmup: timedelta) -> bool:
        return self.first_data is not None and now - self.first_data >= warmup.total_seconds()

    def to_state(self) -> dict[str, Any]:
        return {"bucket_seconds": self.bucket_seconds, "slots": self.slots, "smoothing": self.smoothing,
                "zone": self.zone, "means": [round(m, 4) for m in self.means], "seen": self.seen,
                "folded_until": self.folded_until, "first_data": self.first_data, "spread": [round(v, 6) for v in self.spread]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "SeasonalBaseline":
        return cls(**{**state, "spread": tuple(state.get("spread", (0.0, 0.0)))})
