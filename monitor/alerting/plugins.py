"""Apprise plugins for what the bundled ones lack: signed Feishu/Lark bots and WeCom bots that @ people.

`feishusign://TOKEN/SECRET` and `larksign://TOKEN/SECRET`: a bot with signature verification rejects
any message without `timestamp` and `sign` = base64(HMAC-SHA256(key="<timestamp>\\n<secret>", msg="")).
`wecomat://KEY?mention=all` or `?mobiles=138…,139…`: the WeCom group bot, @-ing everyone or those phone
numbers when the alert is critical (`mention_on=warning` widens it); text goes as a `text` message
(2,048 bytes), Markdown as `markdown` (4,096 bytes; WeCom cannot @ in Markdown).
Both read the vendor's JSON answer, since these bots say "rejected" with HTTP 200.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import requests
from apprise import NotifyFormat, NotifyType
from apprise.plugins import N_MGR
from apprise.plugins.base import NotifyBase

ENDPOINTS = {
    "feishusign": "https://open.feishu.cn/open-apis/bot/v2/hook/{token}",
    "larksign": "https://open.larksuite.com/open-apis/bot/v2/hook/{token}",
    "wecomat": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={token}",
}
MENTION_ON = {"critical": (NotifyType.FAILURE,), "warning": (NotifyType.FAILURE, NotifyType.WARNING)}


def feishu_sign(timestamp: int, secret: str) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


class _Bot(NotifyBase):
    """What both bots share: a token in the host part, a JSON POST, a JSON answer with a zero code."""

    notify_format = (NotifyFormat.TEXT, NotifyFormat.MARKDOWN)
    title_maxlen = 0
    request_rate_per_sec = 0

    def __init__(self, token: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.token = token

    @property
    def url_identifier(self):
        return (self.secure_protocol, self.token)

    @classmethod
    def parse_url(cls, url: str):
        """Apprise's reading of `schema://TOKEN…`, the token taken from the host part, plus the bot's own fields."""
        results = NotifyBase.parse_url(url, verify_host=False)
        if results:
            results["token"] = NotifyBase.unquote(results["host"])
            results.update(cls._url_fields(results))
        return results

    @staticmethod
    def _url_fields(results: dict) -> dict:
        return {}

    def _post(self, url: str, payload: dict) -> bool:
        try:
            r = requests.post(url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                              headers={"Content-Type": "application/json; charset=utf-8"},
                              timeout=self.request_timeout, verify=self.verify_certificate)
        except requests.RequestException as e:
            self.logger.warning("%s: connection failed: %s", self.service_name, type(e).__name__)
            return False
        try:
            answer = r.json()
        except ValueError:
            answer = {}
        code = answer.get("errcode", answer.get("code", answer.get("StatusCode")))
        if r.status_code != 200 or code not in (0, None):
            self.logger.warning("%s rejected the message: HTTP %s, code %s, %s", self.service_name, r.status_code,
                                code, answer.get("errmsg") or answer.get("msg") or "")
            return False
        return True


class SignedFeishu(_Bot):
    service_name = "Feishu/Lark (signed)"
    secure_protocol = ("feishusign", "larksign")
    body_maxlen = 19985
    templates = ("{schema}://{token}/{secret}",)

    def __init__(self, token: str, secret: str, schema: str = "feishusign", **kwargs) -> None:
        super().__init__(token, **kwargs)
        self.secret = secret
        self.schema = schema

    @property
    def url_identifier(self):
        return (self.schema, self.token)

    def url(self, privacy: bool = False, *args, **kwargs) -> str:
        return (f"{self.schema}://{self.pprint(self.token, privacy, safe='')}/"
                f"{self.pprint(self.secret, privacy, mode='secret', safe='')}")

    def send(self, body: str, title: str = "", notify_type=NotifyType.INFO, **kwargs) -> bool:
        stamp = int(time.time())
        text = f"{title}\n{body}" if title else body
        payload = {"timestamp": str(stamp), "sign": feishu_sign(stamp, self.secret), "msg_type": "text",
                   "content": {"text": text}}
        return self._post(ENDPOINTS[self.schema].format(token=self.token), payload)

    @staticmethod
    def _url_fields(results: dict) -> dict:
        return {"secret": NotifyBase.unquote((results.get("fullpath") or "").strip("/"))}


class MentioningWeCom(_Bot):
    service_name = "WeCom bot (@ on critical)"
    secure_protocol = "wecomat"
    body_maxlen = 4096
    templates = ("{schema}://{token}",)

    def __init__(self, token: str, mention: str | None = None, mobiles: str | None = None,
                 mention_on: str = "critical", **kwargs) -> None:
        super().__init__(token, **kwargs)
        self.mention_all = mention == "all"
        self.mobiles = [m for m in (mobiles or "").replace(";", ",").split(",") if m.strip()]
        self.mention_types = MENTION_ON.get(mention_on, MENTION_ON["critical"])

    def url(self, privacy: bool = False, *args, **kwargs) -> str:
        query = "&".join(filter(None, ["mention=all" if self.mention_all else "",
                                       f"mobiles={','.join(self.mobiles)}" if self.mobiles else ""]))
        return f"wecomat://{self.pprint(self.token, privacy, safe='')}/" + (f"?{query}" if query else "")

    def send(self, body: str, title: str = "", notify_type=NotifyType.INFO, body_format=None, **kwargs) -> bool:
        text = f"{title}\n{body}" if title else body
        mentions = notify_type in self.mention_types and (self.mention_all or self.mobiles)
        if body_format == NotifyFormat.MARKDOWN and not mentions:
            return self._post(self._endpoint, {"msgtype": "markdown", "markdown": {"content": text}})
        content: dict = {"content": text}
        if mentions:
            if self.mention_all:
                content["mentioned_list"] = ["@all"]
            if self.mobiles:
                content["mentioned_mobile_list"] = self.mobiles
        return self._post(self._endpoint, {"msgtype": "text", "text": content})

    @property
    def _endpoint(self) -> str:
        return ENDPOINTS["wecomat"].format(token=self.token)

    @staticmethod
    def _url_fields(results: dict) -> dict:
        return {key: NotifyBase.unquote(results["qsd"][key]) for key in ("mention", "mobiles", "mention_on")
                if results["qsd"].get(key)}


for _plugin in (SignedFeishu, MentioningWeCom):
    if not any(s in N_MGR for s in (_plugin.secure_protocol if isinstance(_plugin.secure_protocol, tuple)
                                    else (_plugin.secure_protocol,))):
        N_MGR.add(_plugin)
