"""A queued item that keeps failing reaches a person: dead-letter file, metric, /healthz warning and a notice
to the fallback channel."""

from __future__ import annotations

import json

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from monitor.config import load_settings
from monitor.daemon import Daemon
from tests.daemon.conftest import daemon_config, metric


@pytest.fixture
def daemon(site, receiver, tmp_path):
    path = daemon_config(tmp_path, site, receiver, queue_attempts=1)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["alerting"]["fallback_channel"] = "hook"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    d = Daemon(load_settings(path))
    yield d
    d.web.stop()
    d.nlp.close()
    d.monitor.close()
    d.lock.release()


def test_an_item_that_cannot_be_read_is_dead_lettered_counted_warned_and_told(daemon, receiver):
    daemon.queue._put("raw", [{"id": "broken", "text": "没有别的字段"}], 1)  # what no version of brandmon can read
    daemon.drain()
    [line] = daemon.queue.dead_letter.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["payload"] == [{"id": "broken", "text": "没有别的字段"}]
    assert daemon.queue.depth() == (0, 0)
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(daemon.metrics.exposition().decode())
               for s in family.samples}
    assert metric(samples, "brandmon_queue_dead_letter_items_total") == 1
    assert daemon.warnings() == [f"1 items in the dead-letter file {daemon.queue.dead_letter}"]
    [notice] = [r for r in receiver.received if "死信" in r.get("title", "") + r.get("message", "")]
    assert notice["path"] == "/hook" and "1 条记录" in notice["message"]
