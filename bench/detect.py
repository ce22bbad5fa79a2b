"""Spike detection quality: the seasonal Poisson rule against ElastAlert's ratio-with-floors spike rule.

A generated year of hourly negative-mention counts for several brands (day/night and weekday rhythm,
slow trend, over-dispersed noise, a few benign busy days such as launches) with injected surges.
Both detectors see each hour once, in order, as the daemon would. Prints recall (`project` is the
seasonal rule, `baseline` ElastAlert's method), false alarms per brand-month and the median delay
from a surge's start to the end of the hour that caught it. Deterministic for a given --seed.

    python bench/detect.py [--seed 42] [--brands 6] [--days 365]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.config.rules import SpikeRule  # noqa: E402
from monitor.detect.seasonal import SpikeTest, SeasonalBaseline  # noqa: E402

HOUR = 3600
START = 1_767_225_600  # 2026-01-01 00:00 UTC
RATES = (0.3, 1.0, 3.0, 10.0, 40.0, 150.0)  # mean negative mentions per hour, one per brand
SURGES_PER_BRAND = 12
MERGE_GAP = 3  # fired hours closer than this are one alarm, as one incident would be
ELASTALERT = {"spike_height": 3.0, "threshold_cur": 5, "threshold_ref": 1}  # timeframe: 1h


@dataclass(frozen=True)
class Surge:
    start: int
    hours: int

    def covers(self, hour: int) -> bool:
        return self.start <= hour < self.start + self.hours


def rhythm(hours: np.ndarray) -> np.ndarray:
    """Quiet nights, busy evenings, livelier weekends."""
    hour_of_day = hours % 24
    day = (hours // 24 + 3) % 7  # 2026-01-01 was a Thursday; 0 = Monday
    daily = np.select([hour_of_day < 7, hour_of_day < 12, hour_of_day < 19, hour_of_day < 23],
                      [0.25, 1.0, 1.2, 1.8], 0.8)
    return daily * np.where(day >= 5, 1.3, 1.0)


def generate(rng: np.random.Generator, rate: float, n_hours: int) -> tuple[np.ndarray, list[Surge]]:
    hours = np.arange(n_hours)
    trend = 1 + 0.4 * np.sin(2 * np.pi * hours / n_hours + rng.uniform(0, 2 * np.pi))
    mean = rate * rhythm(hours) * trend
    for day in rng.choice(np.arange(21, n_hours // 24), size=4, replace=False):  # launches, sales: busy, not crises
        mean[day * 24:(day + 1) * 24] *= 1.6
    counts = rng.poisson(rng.gamma(20.0, mean / 20.0))  # gamma-Poisson: over-dispersed like real chatter
    surges = []
    starts = sorted(rng.choice(np.arange(21 * 24, n_hours - 24), size=SURGES_PER_BRAND, replace=False))
    for start in starts:
        if surges and start < surges[-1].start + surges[-1].hours + 48:
            continue
        surge = Surge(int(start), int(rng.integers(2, 7)))
        size = rng.uniform(1.5, 5.0)
        for h in range(surge.start, surge.start + surge.hours):
            counts[h] += rng.poisson(size * max(mean[h], 3.0))
        surges.append(surge)
    return counts, surges


def seasonal_fired(counts: np.ndarray, rule: SpikeRule) -> list[bool]:
    """The spike rule's model, fed one finished hour at a time."""
    test = SpikeTest(rule.min_count, rule.ratio, rule.p_value, rule.pseudo_count)
    baseline = SeasonalBaseline.create(rule.bucket, timedelta(weeks=1), rule.smoothing, "UTC")
    fired = []
    for h, count in enumerate(counts):
        start = START + h * HOUR
        trusted = baseline.trusted(start + HOUR, rule.warmup)
        fired.append(trusted and test.anomalous(int(count), baseline.expected(start), baseline.dispersion))
        baseline.fold(start, int(count), test)
    return fired


def elastalert_fired(counts: np.ndarray) -> list[bool]:
    """ElastAlert's spike: this hour against the hour before, with floors on both."""
    fired = [False]
    for ref, cur in zip(counts, counts[1:]):
        fired.append(bool(cur >= ELASTALERT["threshold_cur"] and ref >= ELASTALERT["threshold_ref"]
                          and cur >= ELASTALERT["spike_height"] * ref))
    return fired


def alarms(fired: list[bool]) -> list[tuple[int, int]]:
    """Fired hours merged into alarms (first hour, last hour)."""
    out: list[tuple[int, int]] = []
    for h, on in enumerate(fired):
        if not on:
            continue
        if out and h - out[-1][1] <= MERGE_GAP:
            out[-1] = (out[-1][0], h)
        else:
            out.append((h, h))
    return out


def score(fired: list[bool], surges: list[Surge]) -> tuple[int, int, list[float]]:
    """Detected surges, false alarms, and delays in minutes (to the end of the first hour that fired)."""
    detected, delays = 0, []
    for surge in surges:
        hits = [h for h in range(surge.start, surge.start + surge.hours) if fired[h]]
        if hits:
            detected += 1
            delays.append((hits[0] - surge.start + 1) * 60.0)
    false = sum(1 for first, last in alarms(fired)
                if not any(s.covers(h) for s in surges for h in range(first, last + 1)))
    return detected, false, delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--brands", type=int, default=len(RATES))
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    started = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    rule = SpikeRule.model_validate({"name": "bench", "type": "spike", "bucket": "1h", "season": "week"})
    n_hours = args.days * 24
    totals = {name: {"detected": 0, "false": 0, "delays": []} for name in ("project", "baseline")}
    n_surges = 0
    for b in range(args.brands):
        rate = RATES[b % len(RATES)]
        counts, surges = generate(rng, rate, n_hours)
        n_surges += len(surges)
        for name, fired in (("project", seasonal_fired(counts, rule)), ("baseline", elastalert_fired(counts))):
            detected, false, delays = score(fired, surges)
            totals[name]["detected"] += detected
            totals[name]["false"] += false
            totals[name]["delays"] += delays
            print(f"brand {b} ({rate:>5}/h) {name:<8}: {detected}/{len(surges)} surges, {false} false alarms",
                  file=sys.stderr)
    brand_months = args.brands * args.days / 30.44
    recall = {n: t["detected"] / n_surges for n, t in totals.items()}
    false_rate = {n: round(t["false"] / brand_months, 3) for n, t in totals.items()}
    delay = {n: statistics.median(t["delays"]) if t["delays"] else None for n, t in totals.items()}
    for name in totals:
        print(f"{name:<8}: recall {recall[name]:.3f}, {false_rate[name]} false alarms per brand-month, "
              f"median delay {delay[name]} min")
    print(json.dumps({
        "metric": "spike_recall", "unit": "fraction of injected surges detected",
        "project": round(recall["project"], 3), "baseline": round(recall["baseline"], 3),
        "ratio": round(recall["project"] / recall["baseline"], 3) if recall["baseline"] else None,
        "detail": {"false_alarms_per_brand_month": false_rate, "median_delay_minutes": delay,
                   "surges": n_surges, "brands": args.brands, "days": args.days, "seed": args.seed,
                   "rule": {"p_value": rule.p_value, "ratio": rule.ratio, "min_count": rule.min_count,
                            "pseudo_count": rule.pseudo_count, "smoothing": rule.smoothing, "warmup": "7d"},
                   "elastalert": ELASTALERT, "seconds": round(time.perf_counter() - started, 2)},
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
