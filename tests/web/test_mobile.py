"""The phone pages in a real headless chromium at phone width (390 px), served by a real `brandmon run`
crawling the demo site on loopback. Screenshots are kept in test-artefacts/mobile/."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlparse

import pytest

from monitor.alerting.acklink import QUEUE, AckLinks
from monitor.clock import Clock
from monitor.config import load_settings
from monitor.demo.mailbox import free_port
from tests.alerting.conftest import Receiver
from tests.conftest import ROOT
from tests.daemon.conftest import ACK_SECRET, NEW_RULE, DaemonProcess, brandmon, daemon_config, metric
from monitor.demo.site import DemoSite
from monitor.report.send import report_link
from tests.web.cdp import Browser, chromium_binary

ARTEFACTS = ROOT / "test-artefacts" / "mobile"


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    chromium_binary()  # skip (or fail under CI) before starting anything
    site, receiver = DemoSite().start(), Receiver()
    folder = tmp_path_factory.mktemp("mobile")
    config = daemon_config(folder, site, receiver)
    (folder / "rules" / "mentions_xinghe.yaml").write_text(NEW_RULE, encoding="utf-8")
    daemon = DaemonProcess(config, folder / "daemon.log")
    try:
        daemon.wait_for(daemon.healthy, timeout=90)
        daemon.wait_for(lambda: all(metric(daemon.metrics(), "brandmon_source_crawls_total", source=s) >= 1
                                    for s in ("demo-forum", "demo-news", "demo-feed")), timeout=120)
        daemon.wait_for(lambda: _incidents(daemon, "open"), timeout=120)
        yield daemon
    finally:
        daemon.kill()
        receiver.close()
        site.stop()


@pytest.fixture(scope="module")
def browser():
    b = Browser(free_port())
    yield b
    b.close()


def _incidents(running, state: str = "all") -> list[dict]:
    proc = brandmon("incidents", "-c", str(running.config), "--state", state, "--json")
    return json.loads(proc.stdout.strip().splitlines()[-1])["incidents"] if proc.returncode == 0 else []


def _fits_the_phone(browser) -> bool:
    return browser.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_alert_link_opens_an_incident_page_that_fits_a_phone_with_examples_and_timeline(running, browser):
    incident = _incidents(running, "open")[0]
    browser.open(AckLinks(ACK_SECRET, running.base, timedelta(hours=1), Clock()).url(incident["id"]))
    png = browser.screenshot(ARTEFACTS / "incident.png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert browser.evaluate("document.querySelector('h1').textContent") == "舆情事件"
    assert browser.evaluate("document.querySelector('.title').textContent") == incident["title"]
    examples = browser.evaluate("[...document.querySelectorAll('.examples a')].map(a => a.href)")
    assert examples and all(urlparse(u).hostname == "127.0.0.1" for u in examples)
    assert browser.evaluate("document.querySelectorAll('.timeline li').length") >= 1
    assert browser.evaluate("[...document.querySelectorAll('button')].map(b => b.id)") == ["ack", "assign", "resolve"]
    assert browser.evaluate("document.querySelector('#ack').getBoundingClientRect().height") >= 44
    assert _fits_the_phone(browser)


def test_assign_ack_and_resolve_from_the_phone_change_the_incident(running, browser):
    incident_id = _incidents(running, "open")[0]["id"]
    browser.open(AckLinks(ACK_SECRET, running.base, timedelta(hours=1), Clock()).url(incident_id))
    browser.type_into("form:has(#assign) input[name=to]", "小李")
    browser.type_into("form:has(#assign) input[name=by]", "王经理")
    browser.tap("#assign")
    assert browser.evaluate("document.querySelector('.done').textContent") == "已指派给 小李。"
    browser.type_into("form:has(#ack) input[name=by]", "小李")
    browser.tap("#ack")
    browser.screenshot(ARTEFACTS / "incident-acked.png")
    after = next(i for i in _incidents(running) if i["id"] == incident_id)
    assert (after["state"], after["assignee"], after["acked_by"]) == ("acked", "小李", "小李")
    browser.type_into("form:has(#resolve) input[name=note]", "已发布说明")
    browser.tap("#resolve")
    assert browser.evaluate("[...document.querySelectorAll('button')].length") == 0  # nothing left to do
    events = json.loads(brandmon("timeline", incident_id, "-c", str(running.config), "--json").stdout)["events"]
    assert [(e["kind"], e["actor"]) for e in events if e["kind"] in ("assigned", "acked", "resolved")] == [
        ("assigned", "王经理"), ("acked", "小李"), ("resolved", "ack-link")]
    assert _fits_the_phone(browser)


def test_the_queue_page_lists_complaints_and_handles_one_from_the_phone(running, browser):
    proc = brandmon("queue", "--link", "-c", str(running.config), "--json")
    assert proc.returncode == 0, proc.stderr
    browser.open(json.loads(proc.stdout)["url"])
    browser.screenshot(ARTEFACTS / "queue.png")
    cards = browser.evaluate("[...document.querySelectorAll('.queue > li')].map(li => li.dataset.id)")
    queued = [i["id"] for i in json.loads(brandmon("queue", "-c", str(running.config), "--json").stdout)["items"]]
    assert cards == queued and len(cards) >= 2, (cards, queued)
    assert _fits_the_phone(browser)
    first = cards[0]
    browser.type_into(f"li[data-id='{first}'] input[name=note]", "已电话联系")
    browser.tap(f"li[data-id='{first}'] button[value=handle]")
    assert browser.evaluate("document.querySelector('.done').textContent") == "已标记处理，已移出队列。"
    browser.screenshot(ARTEFACTS / "queue-handled.png")
    left = [i["id"] for i in json.loads(brandmon("queue", "-c", str(running.config), "--json").stdout)["items"]]
    assert left == [i for i in queued if i != first]  # a mention naming two brands leaves both their queues


def test_a_forged_queue_link_is_refused(running, browser):
    url = json.loads(brandmon("queue", "--link", "-c", str(running.config), "--json").stdout)["url"]
    browser.open(url[:-4] + ("0000" if not url.endswith("0000") else "1111"))
    assert browser.evaluate("document.querySelector('h1').textContent") == "无法打开"


def test_the_report_link_of_a_chat_digest_opens_the_saved_report_with_its_charts_and_a_forged_one_is_refused(
        running, browser):
    settings = load_settings(running.config)
    folder = settings.config.state_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    browser.open(AckLinks(ACK_SECRET, running.base, timedelta(hours=1), Clock()).link("queue", QUEUE))
    (folder / "weekly-20261130-0900-all-b1-volume.png").write_bytes(browser.screenshot(ARTEFACTS / "chart.png"))
    html = folder / "weekly-20261130-0900-all.html"
    html.write_text("<html><body><h1>周报</h1><img src='weekly-20261130-0900-all-b1-volume.png'></body></html>",
                    encoding="utf-8")
    link = report_link(settings, html, Clock())
    assert urlparse(link).path == "/reports/weekly-20261130-0900-all.html"
    browser.open(link)
    assert browser.evaluate("document.querySelector('h1').textContent") == "周报"
    assert browser.evaluate("document.querySelector('img').src.slice(0, 22)") == "data:image/png;base64,"
    assert browser.evaluate("document.querySelector('img').naturalWidth") > 0
    browser.open(link.replace("sig=", "sig=0"))
    assert browser.evaluate("document.querySelector('h1').textContent") == "链接无效或已过期"
