"""`brandmon run` as ops meet it: a real subprocess, the demo site, a real store, signals and HTTP."""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import sqlite3
import time
from datetime import timedelta
from urllib.parse import urlencode, urlparse

import pytest

from monitor.alerting.acklink import AckLinks
from monitor.clock import Clock
from tests.daemon.conftest import (ACK_SECRET, NEW_RULE, DaemonProcess, brandmon, daemon_config, metric)

SOURCES = ("demo-forum", "demo-news", "demo-feed")


@pytest.fixture(scope="module")
def running(site, receiver, tmp_path_factory):
    folder = tmp_path_factory.mktemp("daemon")
    config = daemon_config(folder, site, receiver)
    daemon = DaemonProcess(config, folder / "daemon.log")
    try:
        daemon.wait_for(daemon.healthy, timeout=60)
        daemon.wait_for(lambda: all(metric(daemon.metrics(), "brandmon_source_crawls_total", source=s) >= 1
                                    for s in SOURCES), timeout=90)
        yield daemon
    finally:
        daemon.kill()


def stored_mentions(config, table: str = "mentions") -> int:
    db = config.parent / "state" / "brandmon.db"
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_healthz_is_200_while_the_store_and_scheduler_are_alive(running):
    status, body = running.get("/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})


def test_metrics_count_pages_items_and_errors_per_source(running):
    samples = running.metrics()
    for source in SOURCES:
        assert metric(samples, "brandmon_source_pages_total", source=source) > 0
        assert metric(samples, "brandmon_source_items_total", source=source) > 0
        assert metric(samples, "brandmon_source_errors_total", source=source) == 0
        assert metric(samples, "brandmon_source_last_success_timestamp_seconds", source=source) > time.time() - 300


def test_metrics_break_mentions_down_by_brand_and_sentiment_and_time_nlp_and_indexing(running):
    samples = running.metrics()
    by_brand = {labels: v for (name, labels), v in samples.items() if name == "brandmon_mentions_total"}
    assert (("brand", "星河手机"), ("sentiment", "positive")) in by_brand
    assert sum(by_brand.values()) == stored_mentions(running.config, "mention_brands")  # a mention per brand named
    assert metric(samples, "brandmon_nlp_seconds_count") >= 3
    assert metric(samples, "brandmon_index_seconds_count") >= 3


def test_a_second_daemon_on_the_same_state_is_refused_with_a_clear_message(running):
    proc = brandmon("run", "-c", str(running.config), timeout=60)
    assert proc.returncode == 3
    assert f"already running on {running.config.parent / 'state'}" in proc.stderr
    assert f"pid {running.proc.pid}" in proc.stderr
    assert running.healthy()


def test_a_broken_config_is_refused_on_sighup_and_the_old_one_keeps_running(running):
    good = running.config.read_text(encoding="utf-8")
    running.config.write_text(good.replace("interval: 1h", "interval: fivemin", 1), encoding="utf-8")
    try:
        os.kill(running.proc.pid, signal.SIGHUP)
        refused = running.wait_for(lambda: [r for r in running.logs() if r["msg"].startswith("reload refused")])
    finally:
        running.config.write_text(good, encoding="utf-8")
    assert "config.yaml:" in refused[0]["msg"] and "sources[0].interval" in refused[0]["msg"]
    samples = running.metrics()
    assert metric(samples, "brandmon_config_reloads_total", result="refused") == 1
    assert metric(samples, "brandmon_rules_loaded") == 1
    assert running.healthy()


def test_brandmon_reload_refuses_an_invalid_config_without_signalling(running):
    good = running.config.read_text(encoding="utf-8")
    running.config.write_text(good.replace("evaluate_every: 2s", "evaluate_evry: 2s"), encoding="utf-8")
    try:
        proc = brandmon("reload", "-c", str(running.config))
    finally:
        running.config.write_text(good, encoding="utf-8")
    assert proc.returncode == 2
    assert "unknown key 'evaluate_evry'" in proc.stderr


def test_a_good_config_reloads_and_its_new_rule_fires(running, receiver):
    (running.config.parent / "rules" / "mentions_xinghe.yaml").write_text(NEW_RULE, encoding="utf-8")
    proc = brandmon("reload", "-c", str(running.config))
    assert proc.returncode == 0, proc.stderr
    assert "2 rules" in proc.stdout
    alert = running.wait_for(lambda: [r for r in receiver.received if "mentions_xinghe" in r["message"]], timeout=60)
    assert alert[0]["path"] == "/hook"
    assert metric(running.metrics(), "brandmon_rules_loaded") == 2


def _open_incident(running) -> str:
    """An open incident of the running daemon: the low-threshold rule is loaded first when no earlier test
    has done it, so each ack test also passes alone."""
    def open_ids() -> list[str]:
        proc = brandmon("incidents", "-c", str(running.config), "--state", "open", "--json")
        return [i["id"] for i in json.loads(proc.stdout.strip().splitlines()[-1])["incidents"]]

    rule = running.config.parent / "rules" / "mentions_xinghe.yaml"
    if not rule.exists():
        rule.write_text(NEW_RULE, encoding="utf-8")
        assert brandmon("reload", "-c", str(running.config)).returncode == 0
    return running.wait_for(open_ids, timeout=90)[0]


def _link(running, incident_id: str) -> str:
    url = AckLinks(ACK_SECRET, running.base, timedelta(hours=1), Clock()).url(incident_id)
    parsed = urlparse(url)
    return f"{parsed.path}?{parsed.query}"


def test_opening_an_ack_link_shows_a_chinese_page_and_changes_nothing(running):
    incident_id = _open_incident(running)
    status, page = running.get(_link(running, incident_id))
    assert status == 200
    assert "确认，我来处理" in page and "<form method='post'" in page
    assert _open_incident(running) == incident_id


def test_a_forged_ack_link_is_refused_with_403(running):
    incident_id = _open_incident(running)
    path = _link(running, incident_id)
    forged = path[:-4] + ("0000" if not path.endswith("0000") else "1111")
    status, page = running.get(forged)
    assert status == 403 and "链接签名不符" in page
    status, _ = running.get(forged, data=b"by=mallory")
    assert status == 403
    assert _open_incident(running) == incident_id


def test_posting_the_ack_form_acknowledges_the_incident_by_name(running):
    incident_id = _open_incident(running)
    status, page = running.get(_link(running, incident_id), data=urlencode({"by": "王五"}).encode())
    assert status == 200 and "已确认" in page
    proc = brandmon("timeline", "-c", str(running.config), incident_id)
    assert "acked" in proc.stdout and "王五" in proc.stdout


def test_an_acker_name_with_a_line_break_and_markup_is_kept_as_one_plain_line(running):
    incident_id = _open_incident(running)
    forged = "赵六\n{\"level\": \"ERROR\", \"msg\": \"forged\"}\n| **x** |"
    status, _ = running.get(_link(running, incident_id), data=urlencode({"by": forged}).encode())
    assert status == 200
    proc = brandmon("incidents", "-c", str(running.config), "--json")
    [acked] = [i for i in json.loads(proc.stdout.strip().splitlines()[-1])["incidents"] if i["id"] == incident_id]
    assert acked["acked_by"] == '赵六 {"level": "ERROR", "msg": "forged"} x'[:40]
    lines = [r for r in running.logs() if "through its link by" in r["msg"] and incident_id in r["msg"]]
    assert len(lines) == 1 and "\n" not in lines[0]["msg"]


def _raw_http(running, request: bytes, read: bool = True) -> bytes:
    host, port = urlparse(running.base).hostname, urlparse(running.base).port
    sock = socket.create_connection((host, port), timeout=30)
    sock.sendall(request)
    if not read:
        return sock
    with sock:
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        return data


@pytest.mark.parametrize("length", [b"abc", b"-1", b"1e3"])
def test_a_malformed_content_length_is_answered_400_without_a_traceback(running, length):
    answer = _raw_http(running, b"POST /ack/INC-1 HTTP/1.1\r\nHost: x\r\nContent-Length: " + length +
                       b"\r\nConnection: close\r\n\r\n")
    assert answer.split(b"\r\n", 1)[0] == b"HTTP/1.1 400 Bad Request"
    assert not [r for r in running.logs() if "Traceback" in r.get("exc", "") + r["msg"]]


def test_clients_that_never_send_their_body_do_not_take_the_server_down(running):
    hung = [_raw_http(running, b"POST /ack/INC-1 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n", read=False)
            for _ in range(12)]  # more than the server has threads
    try:
        status, body = running.get("/healthz")
        assert status == 200 and json.loads(body)["status"] == "ok"
    finally:
        for sock in hung:
            sock.close()


def test_a_form_larger_than_the_limit_is_refused_413(running):
    status, _ = running.get("/ack/INC-1?exp=1&sig=x", data=b"by=" + b"x" * 5000)
    assert status == 413


def test_metrics_show_the_queue_the_store_each_source_and_the_last_evaluation(running):
    def evaluated():
        samples = running.metrics()
        return samples if not math.isnan(metric(samples, "brandmon_last_evaluation_age_seconds")) else None

    samples = running.wait_for(evaluated)
    assert metric(samples, "brandmon_store_up") == 1
    assert metric(samples, "brandmon_queue_mentions") == 0 and metric(samples, "brandmon_queue_items") == 0
    assert {metric(samples, "brandmon_source_up", source=s) for s in SOURCES} == {1}
    assert 0 <= metric(samples, "brandmon_last_evaluation_age_seconds") < 600
    assert metric(samples, "brandmon_alert_latency_seconds_count") >= 1  # the reloaded rule's alert was sent
    assert not [name for name, _ in samples if "spooled" in name]


def test_status_shows_every_source_healthy_and_the_store_reachable(running):
    proc = brandmon("status", "-c", str(running.config), "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["daemon"]["running"] and info["daemon"]["pid"] == running.proc.pid
    assert info["store"]["reachable"] and info["store"]["mentions"] == stored_mentions(running.config)
    assert {s["name"]: s["health"] for s in info["sources"]} == {s: "ok" for s in SOURCES}
    assert all(s["items_per_crawl"] > 0 and s["error_rate"] == 0 for s in info["sources"])
    text = brandmon("status", "-c", str(running.config)).stdout
    assert "demo-forum" in text and "running" in text


def test_sigterm_exits_0_promptly_and_the_status_says_not_running(running):
    before = stored_mentions(running.config)
    code, seconds = running.terminate()
    assert code == 0 and seconds < 20
    assert stored_mentions(running.config) == before
    assert brandmon("status", "-c", str(running.config)).returncode == 3
