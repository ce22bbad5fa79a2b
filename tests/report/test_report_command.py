"""`brandmon report` as a brand manager gets it: HTML with charts, Markdown, and a real mail with inline charts."""

from __future__ import annotations

import base64
import re
from email import message_from_bytes, policy

import pytest

from monitor.demo.mailbox import Mailbox
from tests.daemon.conftest import brandmon
from tests.report.conftest import config_for

UNTIL = "2026-11-23"
PNG = b"\x89PNG\r\n\x1a\n"


def test_the_html_report_embeds_a_png_chart_per_brand_view(seeded, tmp_path):
    folder, counts = seeded
    out = tmp_path / "week.html"
    proc = brandmon("report", "-c", str(config_for(folder)), "--period", "weekly", "--until", UNTIL,
                    "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    html = out.read_text(encoding="utf-8")
    images = re.findall(r"src='data:image/png;base64,([^']+)'", html)
    assert len(images) == 3  # 星河手机: volume, share of voice; 极光手机 (no competitors): volume
    assert all(base64.b64decode(i).startswith(PNG) for i in images)
    assert "舆情周报：2026-11-16 至 2026-11-22" in html
    assert f"<td>星河手机</td><td>{counts['星河手机']}</td>" in html


def test_progress_goes_to_stderr_and_the_markdown_to_stdout(seeded):
    folder, counts = seeded
    proc = brandmon("report", "-c", str(config_for(folder)), "--period", "weekly", "--until", UNTIL)
    assert proc.returncode == 0, proc.stderr
    assert "report: [1/2] 星河手机" in proc.stderr and "report:" not in proc.stdout
    md = proc.stdout
    assert md.startswith("# 舆情周报")
    assert f"| 星河手机 | {counts['星河手机']} |" in md
    assert "| 星河手机 | 42 | 75% |" in md and "| 极光手机 | 14 | 25% |" in md and "| 银河手机 | 0 | 0% |" in md
    assert "确认用时中位数 12 分钟，恢复用时中位数 2 小时" in md
    assert "拍照（34）" in md


def test_markdown_to_a_file_writes_its_charts_beside_it(seeded, tmp_path):
    folder, _ = seeded
    out = tmp_path / "out" / "week.md"
    proc = brandmon("report", "-c", str(config_for(folder)), "--until", UNTIL, "--brand", "星河手机",
                    "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    links = re.findall(r"!\[[^]]*\]\(([^)]+)\)", out.read_text(encoding="utf-8"))
    assert links == ["week-b1-volume.png", "week-b1-share.png"]
    assert all((out.parent / link).read_bytes().startswith(PNG) for link in links)
    assert "极光手机\n" not in out.read_text(encoding="utf-8")


def test_a_daily_report_counts_by_hour_in_the_configured_zone(seeded):
    folder, _ = seeded
    proc = brandmon("report", "-c", str(config_for(folder)), "--period", "daily", "--until", "2026-11-22T23:30")
    assert proc.returncode == 0, proc.stderr
    assert "# 舆情日报：2026-11-22 00:00 至 2026-11-23 00:00" in proc.stdout
    assert "| 星河手机 | 9 | +12% | 2 | 22% | 7 |" in proc.stdout


@pytest.fixture
def mailbox(tmp_path):
    box = Mailbox(tmp_path / "mail").start()
    yield box
    box.stop()


def test_sending_to_a_mail_channel_delivers_html_with_the_charts_inline(seeded, mailbox):
    folder, _ = seeded
    config = config_for(folder, extra=f"managers: \"{mailbox.url('lead@example.com')}\"")
    proc = brandmon("report", "-c", str(config), "--until", UNTIL, "--send", "managers")
    assert proc.returncode == 0, proc.stderr
    [mail] = mailbox.messages
    message = message_from_bytes(mail.read_bytes(), policy=policy.default)
    assert message["Subject"].startswith("舆情周报")
    html = message.get_body(("html",)).get_content()
    cids = set(re.findall(r"cid:([\w.-]+)", html))
    inline = {part["Content-ID"].strip("<>"): part for part in message.walk() if part["Content-ID"]}
    assert cids and cids <= set(inline)
    assert all(part.get_content_type() == "image/png" for part in inline.values())


def test_an_unknown_channel_is_a_clear_error(seeded):
    folder, _ = seeded
    proc = brandmon("report", "-c", str(config_for(folder)), "--send", "nowhere")
    assert proc.returncode == 2
    assert "unknown channel 'nowhere'" in proc.stderr


def test_a_chat_channel_gets_a_short_digest_linking_to_the_html_report(seeded):
    from tests.alerting.conftest import Receiver

    folder, counts = seeded
    receiver = Receiver()
    try:
        config = config_for(folder, extra=f"chat: \"{receiver.url('chat')}\"")
        proc = brandmon("report", "-c", str(config), "--until", UNTIL, "--send", "chat")
    finally:
        receiver.close()
    assert proc.returncode == 0, proc.stderr
    [message] = receiver.received
    lines = message["message"].splitlines()
    assert message["title"].startswith("舆情周报")
    assert lines[0].startswith(f"星河手机：声量 {counts['星河手机']}（环比 ") and lines[1].startswith("极光手机：声量 ")
    assert not any(line.startswith("|") for line in lines)  # no Markdown tables in chat
    link = lines[-1].removeprefix("完整报告（图表、明细）：")
    assert link != lines[-1] and link.startswith(str(folder / "state" / "reports"))
    assert "<h1>舆情周报" in open(link, encoding="utf-8").read()


def test_the_report_opens_with_a_chinese_headline_and_counts_stories_not_reposts(tmp_path):
    from dataclasses import replace
    from datetime import timedelta

    from monitor.store.sqlite import SqliteStore
    from tests.report.conftest import UNTIL, mention

    store = SqliteStore(tmp_path / "state" / "brandmon.db")
    noon = UNTIL - timedelta(days=2) + timedelta(hours=12)
    rows = []
    for n, (text, cluster, region) in enumerate(
            [("星河X5 充电爆炸", "c1", "广东")] * 5 + [("星河售后推诿", "c2", "北京")] * 3 + [("星河屏幕发黄", None, None)],
            1):
        rows.append(replace(mention(n, "星河手机", "negative", noon + timedelta(minutes=n), "weibo", text, likes=n),
                            cluster_id=cluster, ip_location=region))
    rows += [mention(100 + i, "极光手机", "positive", noon, "news", "极光手机拍照好") for i in range(3)]
    store.upsert(rows)
    store.close()
    proc = brandmon("report", "-c", str(config_for(tmp_path)), "--period", "weekly", "--until", UNTIL_TEXT,
                    "--brand", "星河手机")
    assert proc.returncode == 0, proc.stderr
    md = proc.stdout
    headings = re.findall(r"^##+ (.+)$", md, re.M)
    assert headings[:3] == ["摘要", "概览", "星河手机"]
    summary = md.split("## 摘要", 1)[1].split("##", 1)[0].strip()
    assert summary.startswith("- 星河手机本期声量 9 条，上期为零；负面 9 条，占 100%；声量份额 75%（竞品：极光手机 25%）")
    stories = re.findall(r"^\d+\. （(\d+) 条）\[weibo\] 用户\d+（[^）]+）：(\S+)", md, re.M)
    assert stories == [("5", "星河X5"), ("3", "星河售后推诿"), ("1", "星河屏幕发黄")]
    regions = md.split("### 地区分布（IP 属地）", 1)[1].split("###", 1)[0]
    assert "| 广东 | 5 |" in regions and "| 北京 | 3 |" in regions
    rivals = md.split("### 竞品对比", 1)[1].split("###", 1)[0]
    assert "| 极光手机 | 3 | 25% | 0 | 0% |" in rivals


UNTIL_TEXT = "2026-11-23"
