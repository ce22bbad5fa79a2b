"""Short versions of bench/fault_scenarios/delivery.py: the same real receivers, time moved by a FakeClock."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from fault_scenarios import delivery  # noqa: E402

CLEAN = {"lost": 0, "duplicated": 0, "out_of_order": 0}


def clean(counts: dict) -> dict:
    return {k: counts[k] for k in CLEAN}


@pytest.mark.parametrize("scenario", [delivery.smtp_down, delivery.webhook_500])
def test_a_two_minute_outage_loses_no_step_and_keeps_them_in_order(tmp_path, clock, scenario):
    counts = scenario(tmp_path, clock, outage=120)
    assert clean(counts) == CLEAN and counts["notices"] >= 2


def test_one_broken_url_of_two_never_makes_the_healthy_one_hear_twice(tmp_path, clock):
    counts = delivery.one_url_down(tmp_path, clock, give_up=30)
    assert clean(counts) == CLEAN and counts["healthy_url_messages"] == 3


def test_a_reload_removing_a_channel_loses_nothing(tmp_path, clock):
    counts = delivery.reload_removes_channel(tmp_path, clock)
    assert clean(counts) == CLEAN
    assert counts["timeline_says"] == ["第 1 级升级：通道 lead 已从配置中删除，改发备用通道 backup"]


def test_the_counter_sees_a_lost_a_repeated_and_a_late_step():
    notices = [("a", "INC-1", [0]), ("a", "INC-1", [2]), ("a", "INC-1", [0])]
    counts = delivery.count(notices, {("a", 0), ("a", 1), ("a", 2)})
    assert (counts["lost"], counts["duplicated"], counts["out_of_order"]) == (1, 1, 1)


@pytest.mark.parametrize("point", ["mid_flight", "during_retry"])
def test_a_daemon_killed_mid_escalation_loses_nothing(tmp_path, point):
    counts = delivery._kill_at(tmp_path / point, point)
    assert clean(counts) == CLEAN
    assert counts["duplicated_in_flight"] <= (1 if point == "mid_flight" else 0)
