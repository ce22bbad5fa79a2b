"""End to end: `brandmon demo --json` as a user runs it, against its real local site and mailbox."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from email import message_from_bytes, policy

import pytest


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    before = {t.name for t in threading.enumerate()}
    proc = subprocess.run([sys.executable, "-m", "monitor", "demo", "--dir", str(folder), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return folder, json.loads(proc.stdout.strip().splitlines()[-1]), proc, before


def test_the_demo_prints_the_summary_as_json_on_its_last_line(demo_run):
    _, summary, _, _ = demo_run
    assert summary["mentions"] >= 40
    assert 0 < summary["negative"] < summary["mentions"]
    assert summary["seconds"] < 60


def test_the_brand_under_attack_gets_a_critical_incident_that_escalates_and_is_acknowledged(demo_run):
    _, summary, _, _ = demo_run
    critical = [i for i in summary["incidents"] if i["severity"] == "critical"]
    assert [(i["brand"], i["rule"], i["state"]) for i in critical] == [("星河手机", "negative_spike", "acked")]
    assert set(critical[0]["notified"]) == {"console", "pr_oncall", "pr_manager"}
    assert all(i["brand"] == "星河手机" for i in summary["incidents"])


def test_lesser_incidents_of_the_same_brand_are_muted_by_the_critical_one(demo_run):
    _, summary, _, _ = demo_run
    critical = next(i["id"] for i in summary["incidents"] if i["severity"] == "critical")
    lesser = [i for i in summary["incidents"] if i["severity"] != "critical"]
    assert lesser and all(critical in i["muted"] and i["notified"] == [] for i in lesser)


def test_the_alert_reaches_the_local_mailbox_as_readable_chinese_mail(demo_run):
    folder, summary, _, _ = demo_run
    mails = sorted((folder / "mail").glob("*.eml"))
    assert len(mails) == summary["emails"] >= 2
    subjects = [message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"] for p in mails]
    assert any(s.startswith("【严重】星河手机") for s in subjects)
    assert any(p.name.endswith("manager_at_example.com.eml") for p in mails)


def test_the_console_shows_the_alert_text(demo_run):
    _, _, proc, _ = demo_run
    assert "【严重】星河手机 声量激增" in proc.stdout + proc.stderr


def test_a_second_run_gives_the_same_result(demo_run, tmp_path):
    _, first, _, _ = demo_run
    proc = subprocess.run([sys.executable, "-m", "monitor", "demo", "--dir", str(tmp_path), "--json"],
                          capture_output=True, text=True, timeout=120)
    second = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (second["mentions"], second["negative"], second["emails"]) == (first["mentions"], first["negative"], first["emails"])
    assert [(i["rule"], i["state"]) for i in second["incidents"]] == [(i["rule"], i["state"]) for i in first["incidents"]]


def test_the_demo_state_is_browsable_with_the_cli_afterwards(demo_run):
    folder, summary, _, _ = demo_run
    proc = subprocess.run([sys.executable, "-m", "monitor", "incidents", "-c", str(folder / "config.yaml"), "--json"],
                          capture_output=True, text=True, timeout=60)
    ids = {i["id"] for i in json.loads(proc.stdout)["incidents"]}
    assert ids == {i["id"] for i in summary["incidents"]}
    critical = next(i["id"] for i in summary["incidents"] if i["severity"] == "critical")
    timeline = subprocess.run([sys.executable, "-m", "monitor", "timeline", critical, "-c", str(folder / "config.yaml")],
                              capture_output=True, text=True, timeout=60).stdout
    for kind in ("opened", "notified", "escalated", "acked"):
        assert f"| {kind} |" in timeline


def test_every_negative_demo_mention_waits_in_the_reply_queue_since_the_site_has_no_official_replies(demo_run):
    folder, summary, _, _ = demo_run
    assert len(set(summary["queue_ids"])) == summary["negative"] > 0  # one item per brand a mention names
    assert "forum:109-1" in summary["queue_ids"]  # the post that started the crisis
    proc = subprocess.run([sys.executable, "-m", "monitor", "queue", "-c", summary["config"], "--json"],
                          capture_output=True, text=True, timeout=300)
    items = json.loads(proc.stdout.strip().splitlines()[-1])["items"]
    assert [i["id"] for i in items] == summary["queue_ids"]
