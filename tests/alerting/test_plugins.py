"""The project's apprise plugins against a loopback HTTP server standing in for Feishu/Lark and WeCom.

The stand-in checks what the vendor checks (Feishu: timestamp within an hour and the HMAC signature;
WeCom: at most 2,048 bytes of text, 4,096 of Markdown) and answers as the vendor does, HTTP 200 with a
JSON error code, so a rejected message is a failed delivery.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import apprise
import pytest

from monitor.alerting import plugins
from tests.alerting.incidents import finding

SECRET = "feishu-bot-secret"


class VendorStandIn:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                payload = json.loads(raw)
                stand_in.requests.append({"path": self.path, "payload": payload, "bytes": raw})
                answer = stand_in.judge(self.path, payload)
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"

    def judge(self, path: str, payload: dict) -> dict:
        if path.startswith("/feishu/"):
            stamp = int(payload.get("timestamp", 0))
            key = f"{stamp}\n{SECRET}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            if abs(time.time() - stamp) > 3600 or payload.get("sign") != expected:
                return {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}
            return {"code": 0, "msg": "success", "data": {}}
        kind = payload["msgtype"]
        if len(payload[kind]["content"].encode()) > {"text": 2048, "markdown": 4096}[kind]:
            return {"errcode": 40058, "errmsg": "content exceed max length"}
        return {"errcode": 0, "errmsg": "ok"}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def vendor(monkeypatch):
    stand_in = VendorStandIn()
    monkeypatch.setitem(plugins.ENDPOINTS, "feishusign", stand_in.base + "/feishu/{token}")
    monkeypatch.setitem(plugins.ENDPOINTS, "larksign", stand_in.base + "/feishu/{token}")
    monkeypatch.setitem(plugins.ENDPOINTS, "wecomat", stand_in.base + "/wecom?key={token}")
    yield stand_in
    stand_in.close()


def send(url: str, body: str, title: str = "", notify_type=apprise.NotifyType.INFO, body_format=None) -> bool:
    sender = apprise.Apprise()
    assert sender.add(url)
    return bool(sender.notify(body=body, title=title, notify_type=notify_type, body_format=body_format))


@pytest.mark.parametrize("schema", ["feishusign", "larksign"])
def test_a_signed_feishu_bot_gets_a_timestamp_and_a_valid_signature(vendor, schema):
    assert send(f"{schema}://hooktoken/{SECRET}", "品牌：小米\n规则：spike", title="【严重】小米")
    [request] = vendor.requests
    payload = request["payload"]
    assert request["path"] == "/feishu/hooktoken"
    assert set(payload) == {"timestamp", "sign", "msg_type", "content"}
    assert payload["msg_type"] == "text" and payload["content"]["text"].splitlines() == [
        "【严重】小米", "品牌：小米", "规则：spike"]


def test_a_wrong_feishu_secret_is_a_failed_delivery(vendor):
    assert not send("feishusign://hooktoken/not-the-secret", "x")
    assert len(vendor.requests) == 1


@pytest.mark.parametrize("query, notify_type, mentions", [
    ("mention=all", apprise.NotifyType.FAILURE, {"mentioned_list": ["@all"]}),
    ("mobiles=13800000000,13900000000", apprise.NotifyType.FAILURE,
     {"mentioned_mobile_list": ["13800000000", "13900000000"]}),
    ("mention=all", apprise.NotifyType.WARNING, {}),
    ("mention=all&mention_on=warning", apprise.NotifyType.WARNING, {"mentioned_list": ["@all"]}),
])
def test_a_wecom_bot_is_told_whom_to_mention_only_for_grave_alerts(vendor, query, notify_type, mentions):
    assert send(f"wecomat://botkey?{query}", "星河手机 黑屏", notify_type=notify_type)
    [request] = vendor.requests
    assert request["path"] == "/wecom?key=botkey"
    assert request["payload"] == {"msgtype": "text", "text": {"content": "星河手机 黑屏", **mentions}}


def test_markdown_goes_to_wecom_as_a_markdown_message(vendor):
    assert send("wecomat://botkey", "## 周报\n- 声量 12", body_format=apprise.NotifyFormat.MARKDOWN)
    assert vendor.requests[0]["payload"]["msgtype"] == "markdown"


def test_a_critical_alert_reaches_wecom_within_2048_bytes_and_mentions_everyone(managers, vendor, clock):
    manager = managers({"oncall": "wecomat://botkey?mention=all", "lead": "wecomat://botkey"})
    [incident] = manager.handle([finding(clock)])
    incident.examples = [{"platform": "weibo", "author": f"网友{i}", "text": "电池鼓包冒烟" * 40,
                          "url": f"https://weibo.example/{i}"} for i in range(10)]
    manager.store.save_incident(incident)
    manager.tick()
    [request] = vendor.requests
    text = request["payload"]["text"]
    assert len(text["content"].encode()) <= 2048 < len("".join(e["text"] for e in incident.examples).encode())
    assert text["mentioned_list"] == ["@all"]
    assert text["content"].splitlines()[-1] == f"命令行确认：brandmon ack {incident.id}"
    assert [d.status for d in manager.store.deliveries(incident.id)] == ["sent"]
