"""The seasonal baseline and the Poisson test, as plain arithmetic."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from monitor.detect.seasonal import SeasonalBaseline, SpikeTest

TEST = SpikeTest(min_count=5, ratio=2.0, p_value=0.001, pseudo_count=1.0)
MONDAY = datetime(2026, 11, 1, 16, 0, tzinfo=timezone.utc).timestamp()  # Monday 00:00 in Shanghai
HOUR = 3600


def weekly(zone: str = "Asia/Shanghai") -> SeasonalBaseline:
    return SeasonalBaseline.create(timedelta(hours=1), timedelta(weeks=1), 0.3, zone)


def test_an_empty_baseline_never_makes_zero_to_one_a_spike():
    assert not TEST.anomalous(1, 0.0)
    assert not TEST.anomalous(4, 0.0)


def test_a_count_must_be_unlikely_under_poisson_not_just_a_multiple():
    assert not TEST.anomalous(6, 2.0)  # 2× the rate of 3, but P(X ≥ 6) ≈ 0.08
    assert TEST.anomalous(12, 2.0)
    assert TEST.p(12, 2.0) < 0.001 < TEST.p(6, 2.0)


def test_a_high_volume_count_needs_the_ratio_as_well_as_a_small_p_value():
    assert TEST.p(150, 100.0) < 0.001
    assert not TEST.anomalous(150, 100.0)
    assert TEST.anomalous(210, 100.0)


def test_slots_follow_the_configured_zone_not_utc():
    shanghai, utc = weekly(), weekly("UTC")
    assert shanghai.slot(MONDAY + 9 * HOUR) == 9
    assert utc.slot(MONDAY + 9 * HOUR) == 16 + 9 - 24


def test_the_expectation_blends_a_slot_with_its_neighbours():
    baseline = weekly()
    for hour, count in ((8, 4), (9, 8), (10, 12)):
        baseline.fold(MONDAY + hour * HOUR, count, TEST)
    assert baseline.expected(MONDAY + 9 * HOUR) == 8.0
    assert baseline.expected(MONDAY + 8 * HOUR) == (4 * 0.5 + 8 * 0.25 + 8 * 0.25)  # unseen 7 a.m. uses the level


def test_each_week_moves_a_slot_by_the_smoothing_weight():
    baseline = SeasonalBaseline.create(timedelta(hours=1), timedelta(weeks=1), 0.5, "UTC")
    baseline.fold(MONDAY, 10, TEST)
    baseline.fold(MONDAY + 7 * 24 * HOUR, 20, TEST)
    assert baseline.means[baseline.slot(MONDAY)] == 15.0


def test_a_crisis_is_learnt_only_up_to_the_firing_threshold():
    baseline = SeasonalBaseline.create(timedelta(hours=1), None, 0.5, "UTC")
    for hour in range(24):
        baseline.fold(MONDAY + hour * HOUR, 2, TEST)
    baseline.fold(MONDAY + 24 * HOUR, 500, TEST)
    assert baseline.expected(MONDAY) < 5


def test_an_arbitrary_window_sums_the_buckets_it_overlaps():
    baseline = weekly()
    baseline.fold(MONDAY + 9 * HOUR, 6, TEST)
    baseline.fold(MONDAY + 10 * HOUR, 6, TEST)
    assert baseline.expected_between(MONDAY + 9.5 * HOUR, MONDAY + 10.5 * HOUR) == 6.0


def test_trust_comes_only_after_the_warmup_since_the_first_data():
    baseline = weekly()
    baseline.fold(MONDAY, 0, TEST)
    assert not baseline.trusted(MONDAY + 30 * 24 * HOUR, timedelta(days=7))
    baseline.fold(MONDAY + HOUR, 3, TEST)
    assert not baseline.trusted(MONDAY + 6 * 24 * HOUR, timedelta(days=7))
    assert baseline.trusted(MONDAY + 8 * 24 * HOUR, timedelta(days=7))


def test_a_baseline_round_trips_through_its_stored_state():
    baseline = weekly()
    baseline.fold(MONDAY + 9 * HOUR, 7, TEST)
    again = SeasonalBaseline.from_state(baseline.to_state())
    assert again.expected(MONDAY + 9 * HOUR) == baseline.expected(MONDAY + 9 * HOUR)
    assert again.folded_until == MONDAY + 10 * HOUR


def test_chatter_that_varies_more_than_poisson_widens_the_tail():
    steady, bursty = (SeasonalBaseline.create(timedelta(hours=1), None, 0.3, "UTC") for _ in range(2))
    for hour in range(24 * 14):
        steady.fold(MONDAY + hour * HOUR, 40, TEST)
        bursty.fold(MONDAY + hour * HOUR, (20, 60)[hour % 2], TEST)
    assert steady.dispersion < 0.01 < bursty.dispersion
    assert TEST.p(90, 40, bursty.dispersion) > 100 * TEST.p(90, 40, steady.dispersion)


def test_a_few_expected_mentions_are_judged_as_poisson():
    sparse = SeasonalBaseline.create(timedelta(hours=1), None, 0.3, "UTC")
    for hour in range(24 * 14):
        sparse.fold(MONDAY + hour * HOUR, (0, 4)[hour % 2], TEST)
    assert sparse.dispersion == 0.0
