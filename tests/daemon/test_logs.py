import json
import logging

import pytest

from monitor.config.model import Config
from monitor.logs import JsonFormatter, SecretMasker

CHANNELS = {"wecom": "wecombot://abcdefghijklmnop1234",
            "mail": "mailto://user:hunter2pass@smtp.example.com?to=lead@example.com"}


@pytest.fixture
def masker():
    masker = SecretMasker()
    masker.learn(Config.model_validate({"brands": [{"name": "x"}], "channels": CHANNELS,
                                        "http": {"ack_secret": "ack-secret-value"}}))
    return masker


def record(msg: str, *args) -> logging.LogRecord:
    return logging.LogRecord("t", logging.WARNING, __file__, 1, msg, args, None)


def test_apprise_urls_are_logged_in_their_privacy_form(masker):
    rec = record("sending to %s and %s", CHANNELS["wecom"], CHANNELS["mail"])
    masker.filter(rec)
    line = rec.getMessage()
    assert "abcdefghijklmnop1234" not in line and "hunter2pass" not in line
    assert "wecombot://a...4" in line and "mailto://user:****@smtp.example.com" in line


def test_a_bare_token_and_the_ack_secret_are_masked_too(masker):
    rec = record("HTTP 403 from https://qyapi.weixin.qq.com/send?key=abcdefghijklmnop1234 (secret ack-secret-value)")
    masker.filter(rec)
    assert rec.getMessage() == "HTTP 403 from https://qyapi.weixin.qq.com/send?key=**** (secret ****)"


def test_passwords_in_unknown_urls_are_masked(masker):
    rec = record("connecting to http://elastic:changeme@127.0.0.1:9200")
    masker.filter(rec)
    assert rec.getMessage() == "connecting to http://elastic:****@127.0.0.1:9200"


def test_tracebacks_are_masked(masker):
    try:
        raise RuntimeError("failed for hunter2pass")
    except RuntimeError:
        import sys

        rec = logging.LogRecord("t", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    masker.filter(rec)
    assert "hunter2pass" not in rec.exc_text and "RuntimeError" in rec.exc_text


def test_json_lines_carry_time_level_logger_and_message():
    line = json.loads(JsonFormatter().format(record("星河 %d", 5)))
    assert line["level"] == "WARNING" and line["logger"] == "t" and line["msg"] == "星河 5"
    assert line["ts"].endswith("+00:00")
