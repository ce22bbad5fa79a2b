"""SIGTERM while a crawl is in flight: the crawl finishes within the grace period and every mention is stored."""

from __future__ import annotations

import json
import sqlite3
import threading
import time

import pytest

from monitor.demo.site import DemoSite
from monitor.queue import WorkQueue
from tests.daemon.conftest import DaemonProcess, brandmon, daemon_config

DELAY = 0.15


class SlowSite(DemoSite):
    """The demo site, answering each page after a pause, and counting the pages asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.requests = 0
        self._lock = threading.Lock()

    def _serve(self, request) -> None:
        with self._lock:
            self.requests += 1
        time.sleep(DELAY)
        super()._serve(request)


@pytest.fixture
def slow_site():
    site = SlowSite().start()
    yield site
    site.stop()


def test_sigterm_mid_crawl_finishes_the_crawl_stores_everything_and_exits_0(slow_site, receiver, tmp_path):
    reference = brandmon("crawl", "--once", "--json", "-c",
                         str(daemon_config(tmp_path / "reference", slow_site, receiver)))
    expected = sum(s["new"] for s in json.loads(reference.stdout.strip().splitlines()[-1])["sources"].values())
    assert expected > 0, reference.stderr
    slow_site.requests = 0
    config = daemon_config(tmp_path / "daemon", slow_site, receiver, crawl_workers=3)
    daemon = DaemonProcess(config, tmp_path / "daemon.log")
    try:
        daemon.wait_for(lambda: slow_site.requests >= 2, timeout=60, every=0.05)
        code, seconds = daemon.terminate()
    finally:
        daemon.kill()
    assert code == 0 and seconds < 25
    with sqlite3.connect(config.parent / "state" / "brandmon.db") as db:
        assert db.execute("SELECT count(*) FROM mentions").fetchone()[0] == expected
    queue = WorkQueue(config.parent / "state" / "queue")
    assert queue.depth() == (0, 0)
    queue.close()


def test_sigterm_to_the_whole_process_group_stops_within_the_grace_every_time(site, receiver, tmp_path):
    """systemd's KillMode=control-group signals the NLP workers too; the shutdown must not hang on them."""
    config = daemon_config(tmp_path, site, receiver, shutdown_grace="6s")
    for trial in range(3):
        daemon = DaemonProcess(config, tmp_path / f"daemon-{trial}.log", own_group=True)
        try:
            daemon.wait_for(daemon.healthy, timeout=120)
            code, seconds = daemon.terminate(group=True, timeout=60)
        finally:
            daemon.kill()
        assert code == 0, daemon.log_tail()
        assert seconds < 6 + 10  # the grace, plus interpreter exit on a busy machine
