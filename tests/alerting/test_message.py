"""What a person reads: mail with a text and an HTML part, chat messages within byte limits and keywords."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy as email_policy
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from monitor.alerting.acklink import AckLinks
from monitor.alerting.message import Shape, Style, alert_message, digest_message
from monitor.alerting.notify import Notifier
from monitor.alerting.policy import IncidentManager
from monitor.incident import Incident
from monitor.store.sqlite import SqliteStore
from tests.alerting.incidents import finding, settings_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXAMPLES = [{"platform": "weibo", "author": "网友A", "text": "电池鼓包 <b>太吓人</b>", "url": "https://weibo.example/1"},
            {"platform": "tieba", "author": "", "text": "第二条", "url": "https://tieba.example/2"}]


class Outline(HTMLParser):
    """The tags that carry structure, with their text and links."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[tuple[str, str]] = []
        self.links: list[tuple[str, str]] = []
        self._open: list[str] = []
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        self._open.append(tag)
        if tag in ("h2", "h3", "li"):
            self.items.append((tag, ""))
        if tag == "a":
            self._href = dict(attrs)["href"]
            self.links.append((self._href, ""))

    def handle_endtag(self, tag):
        self._open.pop()

    def handle_data(self, data):
        if self.items and self.items[-1][0] in self._open:
            self.items[-1] = (self.items[-1][0], self.items[-1][1] + data)
        if "a" in self._open and self.links:
            self.links[-1] = (self.links[-1][0], self.links[-1][1] + data)


@pytest.fixture
def mailed(tmp_path, clock, mailbox):
    """One alert with two examples and an ack link, sent through a real SMTP server on loopback."""
    settings = settings_for({"oncall": mailbox.url("oncall@example.com"), "lead": mailbox.url("lead@example.com")})
    store = SqliteStore(tmp_path / "mail.sqlite")
    links = AckLinks("a-long-secret-for-tests", "https://brandmon.example.com", timedelta(hours=24), clock)
    manager = IncidentManager(settings, store, Notifier(settings.config), clock, links)
    [incident] = manager.handle([finding(clock)])
    incident.examples = EXAMPLES
    store.save_incident(incident)
    manager.tick()
    [path] = mailbox.messages
    yield message_from_bytes(path.read_bytes(), policy=email_policy.default), incident, links.url(incident.id)
    store.close()


def test_an_alert_mail_has_a_text_part_with_one_fact_per_line(mailed):
    mail, incident, ack = mailed
    text = mail.get_body(("plain",)).get_content()
    assert [line for line in text.splitlines() if line.strip()] == [
        "【严重】小米 声量激增：10 分钟 12 条",
        "品牌：小米", "规则：negative_spike", "级别：严重（首次通知）", "开始：2026-11-23 10:00（Asia/Shanghai）",
        f"编号：{incident.id}", "指标：10 分钟内 12 条，基线 1.0，约 12.0 倍",
        "关键词：爆炸、召回",
        "示例",
        "- [weibo] 网友A：电池鼓包 <b>太吓人</b>", "https://weibo.example/1",
        "- [tieba] 匿名：第二条", "https://tieba.example/2",
        "确认已知悉，停止升级",
        f"按钮打不开时，复制此链接：{ack}",
        f"命令行确认：brandmon ack {incident.id}",
    ]


def test_an_alert_mail_has_an_html_part_with_headings_a_list_of_examples_and_an_ack_button(mailed):
    mail, incident, ack = mailed
    assert mail["To"] == "oncall@example.com" and mail.get_content_type() == "multipart/alternative"
    outline = Outline()
    outline.feed(mail.get_body(("html",)).get_content())
    assert outline.items == [("h2", "【严重】小米 声量激增：10 分钟 12 条"), ("h3", "示例"),
                             ("li", "[weibo] 网友A：电池鼓包 <b>太吓人</b>https://weibo.example/1"),
                             ("li", "[tieba] 匿名：第二条https://tieba.example/2")]
    assert outline.links == [("https://weibo.example/1", "https://weibo.example/1"),
                             ("https://tieba.example/2", "https://tieba.example/2"),
                             (ack, "确认已知悉，停止升级"), (ack, ack)]


def incident_with_examples(clock, n: int, text: str) -> Incident:
    incident = Incident(id="INC-1123-abcdef", fingerprint="f", rule="negative_spike", brand="小米", severity="critical",
                        title="小米 声量激增", playbook={}, opened_at=clock.now(), last_seen_at=clock.now(),
                        figures={"count": 12}, keywords=["爆炸"])
    incident.examples = [{"platform": "weibo", "author": f"网友{i}", "text": text, "url": f"https://weibo.example/{i}"}
                         for i in range(n)]
    return incident


@pytest.mark.parametrize("unit, limit", [("bytes", 2048), ("bytes", 600), ("chars", 2048)])
def test_a_chat_message_fits_its_limit_in_the_channels_unit_and_keeps_the_ack_line(clock, unit, limit):
    shape = Shape(body=limit, title_in_body=True, unit=unit)
    incident = incident_with_examples(clock, 20, "电池鼓包" * 30)
    title, body = alert_message(incident, Style(SHANGHAI), "首次通知", "https://b.example/ack/x", shape)
    assert shape.size(title) + 2 + shape.size(body) <= limit
    assert body.splitlines()[-2:] == ["确认：https://b.example/ack/x", "命令行确认：brandmon ack INC-1123-abcdef"]
    assert "示例：" in body.splitlines()


def test_an_eight_incident_digest_fits_a_wecom_bot_in_bytes(clock):
    shape = Shape(body=2048, title_in_body=True, unit="bytes")
    items = [(incident_with_examples(clock, 3, "屏幕碎裂"), "首次通知", f"https://brandmon.example.com/ack/INC-{i}")
             for i in range(8)]
    title, body = digest_message(items, Style(SHANGHAI), shape)
    assert len((title + "\n\n" + body).encode()) <= 2048 < len(digest_message(items, Style(SHANGHAI),
                                                                              Shape())[1].encode())
    assert body.splitlines()[-1] == "共 8 起，详情：brandmon incidents"


def test_a_dingtalk_keyword_leads_the_message_when_the_text_lacks_it(clock):
    incident = incident_with_examples(clock, 1, "x")
    _, body = alert_message(incident, Style(SHANGHAI), "首次通知", None, Shape(keyword="舆情"))
    assert body.splitlines()[:2] == ["【舆情】", "品牌：小米"]
    _, body = alert_message(incident, Style(SHANGHAI), "首次通知", None, Shape(keyword="小米"))
    assert body.splitlines()[0] == "品牌：小米"


def test_the_channel_keyword_is_a_per_channel_setting(managers, receiver, clock):
    manager = managers(channel_keywords={"oncall": "舆情告警"})
    manager.handle([finding(clock)])
    manager.tick()
    assert receiver.received[0]["message"].splitlines()[0] == "【舆情告警】"


def test_a_report_digest_for_chat_fits_the_bots_bytes_and_ends_with_the_link(clock):
    from monitor.report.data import BrandFigures, ReportData
    from monitor.report.digest import chat_digest
    from monitor.report.period import period_until
    from monitor.report.render import Report

    brands = [BrandFigures(name=f"品牌{i}", total=100 + i, previous=90, sentiment={"negative": 10, "positive": 50},
                           words=[("电池", 5), ("屏幕", 3)]) for i in range(30)]
    period = period_until("weekly", clock.now(), SHANGHAI)
    report = Report(ReportData(period, brands, []), SHANGHAI, {}, {}, clock.now())
    shape = Shape(body=2048, title_in_body=True, unit="bytes")
    title, body = chat_digest(report, "https://brandmon.example.com/reports/weekly.html", shape)
    lines = body.splitlines()
    assert shape.size(title) + 2 + shape.size(body) <= 2048
    assert lines[0].startswith("品牌0：声量 100（环比 ") and lines[-1] == \
        "完整报告（图表、明细）：https://brandmon.example.com/reports/weekly.html"
