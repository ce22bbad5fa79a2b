"""`brandmon postmortem` (and the assign/note/ack/resolve commands that feed it) after a real demo run:
its local forum, news page and feed crawled by the real spiders, alerts through a local SMTP server."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def brandmon(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pm")
    proc = brandmon("demo", "--dir", str(folder), "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    critical = next(i for i in summary["incidents"] if i["severity"] == "critical")
    return folder, summary["config"], critical["id"]


def test_assign_note_and_resolve_with_a_note_are_on_the_incident_and_its_timeline(demo):
    _, config, incident_id = demo
    assigned = json.loads(brandmon("assign", incident_id, "--to", "张经理", "--by", "值班", "-c", config,
                                   "--json").stdout)
    assert assigned["assignee"] == "张经理"
    assert brandmon("note", incident_id, "已发布官方声明", "--by", "张经理", "-c", config).returncode == 0
    proc = brandmon("resolve", incident_id, "--note", "召回方案已公布", "--by", "张经理", "-c", config, "--json")
    resolved = json.loads(proc.stdout.strip().splitlines()[-1])  # the console channel prints the notice first
    assert resolved["state"] == "resolved"
    events = json.loads(brandmon("timeline", incident_id, "-c", config, "--json").stdout)["events"]
    mine = [(e["kind"], e["actor"]) for e in events if e["kind"] in ("assigned", "note", "resolved")]
    assert mine == [("assigned", "值班"), ("note", "张经理"), ("resolved", "张经理")]
    assert next(e for e in events if e["kind"] == "resolved")["detail"].endswith("召回方案已公布")


def test_an_unknown_incident_is_a_clear_error(demo):
    _, config, _ = demo
    proc = brandmon("assign", "INC-0000-nope", "--to", "x", "-c", config)
    assert proc.returncode == 1 and "INC-0000-nope" in proc.stderr


def test_the_postmortem_names_the_first_post_and_holds_charts_notifications_and_response_times(demo):
    folder, config, incident_id = demo
    out = folder / "review" / "INC.md"
    proc = brandmon("postmortem", incident_id, "-c", config, "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["first_post"] == "forum:109-1"  # 受害者小陈 opened the thread that set it off
    assert result["to_ack_seconds"] is not None and result["to_ack_seconds"] >= 0
    charts = sorted(p.name for p in out.parent.glob("INC-*.png"))
    assert charts == ["INC-sentiment.png", "INC-volume.png"]
    assert all((out.parent / c).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for c in charts)
    text = out.read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings[:3] == ["响应时间", "首条", "声量与情感曲线"]
    first = text.split("## 首条", 1)[1].split("##", 1)[0]
    assert "受害者小陈" in first and "/forum/thread/109#109-1" in first
    assert "![volume](INC-volume.png)" in text
    notifications = text.split("## 通知", 1)[1].split("##", 1)[0]
    sent_rows = [line for line in notifications.splitlines() if line.startswith("| ") and "已发送" in line]
    assert {row.split(" | ")[2] for row in sent_rows} >= {"console", "pr_oncall", "pr_manager"}
    timeline = text.split("## 时间线", 1)[1]
    assert re.search(r"\| 确认 \| 已确认，停止升级 \| demo（值班 PR） \|", timeline)
    html = out.with_suffix(".html").read_text(encoding="utf-8")
    assert "<img alt='volume' src='INC-volume.png'" in html and "<h2>首条</h2>" in html
