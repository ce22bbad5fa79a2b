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


def test_ack_link_signatures_never_reach_a_log_line(masker):
    rec = record("apprise body: 确认 http://127.0.0.1:8787/ack/INC-7?exp=1764000000&sig=3f9a0c1d2e")
    masker.filter(rec)
    assert rec.getMessage() == "apprise body: 确认 http://127.0.0.1:8787/ack/INC-7?exp=1764000000&sig=****"


def test_a_line_break_in_a_logged_value_cannot_forge_a_second_text_log_line():
    from monitor.logs import TEXT_FORMAT, TextFormatter

    line = TextFormatter(TEXT_FORMAT).format(record("acknowledged by %s", "bob\n2026-12-01 ERROR forged"))
    assert len(line.splitlines()) == 1
    assert line.endswith("acknowledged by bob\\n2026-12-01 ERROR forged")


def test_debug_logs_of_report_send_never_show_the_channel_key_or_env_secret(tmp_path):
    """`brandmon --log-level debug report --send`: apprise logs the URL it posts to; the masker hides its key."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    config = tmp_path / "config.yaml"
    (tmp_path / "rules").mkdir()
    config.write_text("brands: [{name: 星河}]\nchannels:\n  wecom: ${WECOM_URL}\n"
                      f"state_dir: {tmp_path / 'state'}\nrules_dir: {tmp_path / 'rules'}\n", encoding="utf-8")
    key = "abcdefghijklmnop1234"
    env = {**os.environ, "WECOM_URL": f"json://127.0.0.1:9/{key}?token={key}"}  # port 9: nobody listens
    proc = subprocess.run([sys.executable, "-m", "monitor", "--log-level", "debug", "report", "--send", "wecom",
                           "-c", str(config)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=180)
    assert "127.0.0.1:9" in proc.stderr  # apprise did log the target...
    assert key not in proc.stderr + proc.stdout  # ...without its secret
