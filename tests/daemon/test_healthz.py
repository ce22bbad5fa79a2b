"""/healthz reads what the heartbeat and the jobs recorded: no store call on the request thread, so it answers
at once however slow the store is (how fast: bench/healthz.py)."""

from __future__ import annotations

import json
import time

import yaml

from tests.daemon.conftest import DaemonProcess, daemon_config
from tests.es.node import es, es_prefix, es_url  # noqa: F401  (fixtures)
from tests.es.proxy import FaultProxy

HEARTBEAT_EVERY = 5.0  # monitor/daemon.py


def test_healthz_asks_the_store_nothing_the_heartbeat_pings_it_every_few_seconds(site, receiver, es_url, es_prefix,
                                                                                  tmp_path):
    proxy = FaultProxy(es_url).up()
    config = daemon_config(tmp_path, site, receiver)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["store"] = {"backend": "elasticsearch", "elasticsearch": {"url": proxy.url, "index_prefix": es_prefix}}
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    daemon = DaemonProcess(config, tmp_path / "daemon.log")
    try:
        daemon.wait_for(daemon.healthy, timeout=180)
        before, started = proxy.requests["/_cluster/health"], time.monotonic()
        answers = [daemon.get("/healthz") for _ in range(40)]
        pings = proxy.requests["/_cluster/health"] - before
        beats = (time.monotonic() - started) / HEARTBEAT_EVERY
        assert [(status, json.loads(body)) for status, body in answers] == [(200, {"status": "ok"})] * 40
        assert pings <= beats + 2  # the heartbeat's pings; one per request would be 40
    finally:
        daemon.kill()
        proxy.down()
