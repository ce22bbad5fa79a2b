"""`brandmon login PLATFORM` (monitor/crawl/login.py, monitor/commands/login.py) against the loopback stand-in
platform: its login page shows a QR code in a real chromium, the test hook "scans" it as the operator's
phone would, and the session's cookies land in the cookie pool."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from monitor.crawl.cookies import OK, CookiePool
from monitor.crawl.login import FULL, LOWER, UPPER, half_blocks, image_text, qr_text
from tests.conftest import ROOT
from tests.crawl.standin import StandIn, need_chromium, qr_png

SOURCE = """
  - name: standin-watch
    type: social
    platform: standin
    allow_networks: [127.0.0.0/8]
    options:
      format: json
      base_url: {base}
      keywords: [星河手机]
      search_url: "{{base}}/api/search?keyword={{keyword}}&page={{page}}"
      post: data.items
      text: desc
      login:
        page: "{{base}}/login"
        {shows}
        wall: "code == `-100`"
"""


def test_a_qr_matrix_prints_two_module_rows_per_line_in_half_blocks():
    matrix = [[True, False, True], [True, True, False], [False, True, False]]
    assert half_blocks(matrix, invert=True) == f"{FULL}{LOWER}{UPPER}\n {UPPER} "
    assert half_blocks(matrix) == f" {UPPER}{LOWER}\n{FULL}{LOWER}{FULL}"  # dark terminal: light modules drawn


def test_a_screenshot_of_a_qr_code_prints_module_for_module_as_its_payload_does():
    payload = "http://127.0.0.1:8000/scan?token=5f2a9c"
    assert image_text(qr_png(payload)) == qr_text(payload)


@pytest.fixture
def standin():
    need_chromium()
    with StandIn() as site:
        yield site


def scan_when_shown(site: StandIn) -> threading.Thread:
    """The operator: waits for the login page to hand out a code, then scans it (bounded: 180 s)."""
    def operator():
        deadline = time.monotonic() + 180
        while not site.tokens and time.monotonic() < deadline:
            time.sleep(0.2)
        if site.tokens:
            time.sleep(0.5)
            site.scan()

    thread = threading.Thread(target=operator, daemon=True)
    thread.start()
    return thread


def config(tmp_path, site: StandIn, shows: str):
    from tests.config.test_social_sources import config_with

    path = config_with(tmp_path, SOURCE.format(base=site.url, shows=shows))
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("state_dir: ", f"state_dir: {tmp_path / 'state'}\n# was: ", 1), encoding="utf-8")
    return path


def login(path, platform: str = "standin", *extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor", "login", platform, "-c", str(path), "--json", *extra],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


DONE = "\n        done: window.loggedIn"
SHOWN = {"payload": "qr: \"document.querySelector('#qr').dataset.payload\"" + DONE,
         "image": "qr_image: \"#qr-img\"\n        done_cookie: web_session"}  # done when the session cookie comes


@pytest.mark.parametrize("shows", list(SHOWN.values()), ids=list(SHOWN))
def test_login_shows_the_page_s_qr_code_and_keeps_the_scanned_session_in_the_pool(tmp_path, standin, shows):
    path = config(tmp_path, standin, shows)
    operator = scan_when_shown(standin)
    proc = login(path, "standin", "--account", "ops")
    operator.join(timeout=10)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (result["platform"], result["account"], result["ok"], result["cookies"]) == ("standin", "ops", True, 1)
    (token,) = standin.tokens
    assert qr_text(f"{standin.url}/scan?token={token}") in proc.stderr  # the code the phone scans, as text
    (account,) = CookiePool(tmp_path / "state", "standin").accounts()
    assert (account.name, account.status) == ("ops", OK)
    assert account.jar()["web_session"] in standin.sessions  # the session the platform handed out
    assert result["pool"].endswith("cookies/standin.json")
    assert (tmp_path / "state" / "cookies" / "standin.json").stat().st_mode & 0o777 == 0o600
    listed = json.loads(login(path, "standin", "--list").stdout.strip().splitlines()[-1])
    assert [(a["account"], a["status"], a["reason"]) for a in listed["accounts"]] == [("ops", "ok", None)]
    assert listed["accounts"][0]["expires"] is not None  # the session cookie's Max-Age of a day


def test_login_names_the_platforms_it_knows_when_none_matches(tmp_path, standin):
    proc = login(config(tmp_path, standin, SHOWN["image"]), "weibo")
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("no source logs in to 'weibo' (platforms with a login: standin)")


def test_login_gives_up_when_nobody_scans_in_time(tmp_path, standin):
    path = config(tmp_path, standin, SHOWN["payload"] + "\n        timeout: 2s")
    proc = login(path)
    assert proc.returncode == 1
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {
        "platform": "standin", "account": "default", "ok": False, "error": "nobody scanned the code within 2 s"}
    assert not (tmp_path / "state" / "cookies" / "standin.json").exists()
