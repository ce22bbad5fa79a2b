import threading
import time

from monitor.scheduler import Scheduler, jittered


def test_jitter_stays_within_its_fraction_of_the_interval():
    values = [jittered(600, 0.1) for _ in range(200)]
    assert all(540 <= v <= 660 for v in values)
    assert len(set(values)) > 1
    assert jittered(600, 0) == 600


def test_a_busy_crawl_lane_does_not_delay_the_control_lane():
    release = threading.Event()
    ticks = []
    scheduler = Scheduler({"crawl": 1, "control": 1})
    scheduler.every("slow-crawl", release.wait, lambda: 3600, 0, "crawl")
    scheduler.every("tick", lambda: ticks.append(time.monotonic()), lambda: 0.05, 0, "control")
    scheduler.start()
    try:
        deadline = time.monotonic() + 5
        while len(ticks) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(ticks) >= 3
    finally:
        release.set()
        scheduler.stop()


def test_a_trigger_during_a_run_runs_the_job_once_more_right_after():
    started, runs = threading.Event(), []
    gate = threading.Event()

    def job():
        runs.append(1)
        started.set()
        gate.wait(5)

    scheduler = Scheduler({"control": 1})
    scheduler.every("evaluate", job, lambda: 3600, 0, "control")
    scheduler.start()
    try:
        assert started.wait(5)
        scheduler.trigger("evaluate")
        scheduler.trigger("evaluate")
        gate.set()
        deadline = time.monotonic() + 5
        while len(runs) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
        assert len(runs) == 2
    finally:
        scheduler.stop()


def test_after_stop_nothing_new_starts_and_wait_idle_names_what_is_still_running():
    gate = threading.Event()
    scheduler = Scheduler({"crawl": 1})
    scheduler.every("crawl:forum", lambda: gate.wait(5), lambda: 0, 0, "crawl")
    scheduler.start()
    deadline = time.monotonic() + 5
    while not scheduler.wait_idle(time.monotonic()) and time.monotonic() < deadline:
        time.sleep(0.02)
    scheduler.stop()
    assert scheduler.wait_idle(time.monotonic() + 0.1) == ["crawl:forum"]
    gate.set()
    assert scheduler.wait_idle(time.monotonic() + 5) == []


def test_a_job_that_raises_is_logged_and_scheduled_again(caplog):
    runs = []

    def failing():
        runs.append(1)
        raise RuntimeError("boom")

    scheduler = Scheduler({"control": 1})
    scheduler.every("bad", failing, lambda: 0.01, 0, "control")
    scheduler.start()
    try:
        deadline = time.monotonic() + 5
        while len(runs) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(runs) >= 3 and scheduler.alive() == (True, "ok")
        assert "job bad failed" in caplog.text
    finally:
        scheduler.stop()
