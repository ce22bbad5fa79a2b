"""Faults are logged once when they start and once when they clear, with the failures counted between."""

from __future__ import annotations

import logging

from monitor.faults import Faults


def test_a_run_of_failures_is_two_log_lines_and_the_latest_reason_is_shown(caplog):
    changes = []
    faults = Faults(on_change=lambda component, up: changes.append((component, up)))
    with caplog.at_level(logging.WARNING, logger="monitor.faults"):
        for n in range(50):
            faults.fail("store", f"ConnectionError: attempt {n}")
        assert faults.reasons() == ["store: ConnectionError: attempt 49"]
        faults.ok("store")
    assert [r.getMessage() for r in caplog.records] == [
        "store failing: ConnectionError: attempt 0",
        "store recovered after 50 failures in 0 s (last: ConnectionError: attempt 49)"]
    assert changes == [("store", False), ("store", True)] and faults.reasons() == []


def test_components_fail_and_recover_independently():
    faults = Faults()
    faults.fail("disk", "3 MB free")
    faults.fail("store", "OperationalError: database or disk is full")
    faults.ok("disk")
    assert faults.reasons() == ["store: OperationalError: database or disk is full"]
    assert faults.down("store") and not faults.down("disk")
