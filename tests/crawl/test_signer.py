"""The browser signer (monitor/crawl/signer.py) and the cookie pool in a crawl, against a stand-in platform on
loopback whose page signs in its own JavaScript and whose API refuses unsigned requests and expired sessions.
A real chromium (Debian's package) runs the page's script."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest

from monitor.crawl.cookies import NEEDS_LOGIN, CookiePool
from monitor.crawl.health import CrawlHealth, record_crawl
from monitor.crawl.signer import BrowserSigner, SignError
from tests.crawl.conftest import by_native_id, make_source
from tests.crawl.standin import StandIn, need_chromium

NOW = datetime(2023, 11, 15, 2, 0, tzinfo=timezone.utc)
SIGN_SCRIPT = ("(url) => { const u = new URL(url); "
               "return {headers: {'X-Sign': window.standinSign(u.pathname + u.search)}}; }")


@pytest.fixture(scope="module", autouse=True)
def _chromium():
    need_chromium()


@pytest.fixture
def standin():
    with StandIn() as site:
        yield site


def fetch(url: str, headers: dict | None = None, cookie: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={**(headers or {}), **({"Cookie": cookie} if cookie else {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_signer_runs_the_page_s_own_script_and_the_platform_accepts_what_it_signed(standin):
    signer = BrowserSigner(standin.url + "/", SIGN_SCRIPT, timeout=60)
    try:
        url = standin.url + "/api/search?keyword=%E6%98%9F%E6%B2%B3&page=1"
        assert fetch(url) == (406, {"code": 461, "msg": "签名错误"})  # unsigned: refused
        signature = signer.sign(url)
        assert list(signature.headers) == ["X-Sign"] and len(signature.headers["X-Sign"]) == 8
        status, body = fetch(url, signature.headers)
        assert (status, body["code"]) == (200, -100)  # signed; only the session is missing now
        assert standin.counts["signed"] == 1 and standin.counts["unsigned"] == 1
    finally:
        signer.close()


def test_one_browser_signs_request_after_request_with_the_page_loaded_once(standin):
    signer = BrowserSigner(standin.url + "/", SIGN_SCRIPT, timeout=60)
    try:
        signatures = {signer.sign(f"{standin.url}/api/search?keyword=k{i}").headers["X-Sign"] for i in range(12)}
        assert len(signatures) == 12  # each request its own signature
        assert (signer.starts, signer.signed, standin.counts["page"]) == (1, 12, 1)
    finally:
        signer.close()


def test_a_browser_that_died_is_started_again_at_the_next_request(standin):
    signer = BrowserSigner(standin.url + "/", SIGN_SCRIPT, timeout=60)
    try:
        signer.sign(standin.url + "/api/search?keyword=a")
        signer._browser.proc.kill()
        signer._browser.proc.wait(timeout=30)
        url = standin.url + "/api/search?keyword=b"
        assert fetch(url, signer.sign(url).headers)[0] == 200
        assert (signer.starts, standin.counts["page"]) == (2, 2)
    finally:
        signer.close()


def test_a_long_lived_browser_is_replaced_after_its_quota_of_signatures(standin):
    signer = BrowserSigner(standin.url + "/", SIGN_SCRIPT, timeout=60, recycle_after=3)
    try:
        for i in range(4):
            signer.sign(f"{standin.url}/api/search?keyword=q{i}")
        assert (signer.starts, signer.signed, standin.counts["page"]) == (2, 4, 2)
    finally:
        signer.close()


def test_a_signature_that_never_comes_fails_within_its_timeout_and_the_next_one_works(standin):
    hanging = BrowserSigner(standin.url + "/", "() => window.standinHang()", timeout=3)
    try:
        hanging.sign(standin.url + "/api/search?keyword=warm")  # would hang: fails, but starts the browser
    except SignError:
        pass
    started = time.monotonic()
    with pytest.raises(SignError, match="longer than 3 s"):
        hanging.sign(standin.url + "/api/search?keyword=a")
    assert time.monotonic() - started < 120  # bounded (generous: the browser restarts first on a busy machine)
    hanging.close()
    signer = BrowserSigner(standin.url + "/", "() => { throw new Error('签名函数不见了'); }", timeout=30)
    with pytest.raises(SignError, match="签名函数不见了"):
        signer.sign(standin.url + "/api/search?keyword=a")
    signer.close()


def standin_source(site, platform: str, **options):
    return make_source(f"{platform}-watch", "social", {
        "format": "json", "base_url": site.url, "keywords": ["星河手机"],
        "search_url": "{base}/api/search?keyword={keyword}&page={page}",
        "ok": "code == `0`", "end": "data.has_more == `false`",
        "post": "data.items", "post_id": "id", "text": "desc", "author": "user.nickname", "author_id": "user.id",
        "time": "time", "post_url": site.url + "/note/{id}",
        "sign": {"page": "{base}/", "script": SIGN_SCRIPT, "timeout": "60s"},
        "login": {"page": "{base}/login", "qr": "document.querySelector('#qr').dataset.payload",
                  "done": "window.loggedIn", "wall": "code == `-100`"},
        **options}, platform=platform, allow_networks=["127.0.0.1/32"], delay="0s")


def logged_in_account(site, pool: CookiePool, name: str = "ops") -> None:
    """An account as `brandmon login` would keep it: a session the stand-in knows."""
    site.sessions.add(f"session-{name}")
    expires = (datetime.now(timezone.utc) + timedelta(days=1)).timestamp()
    pool.add(name, [{"name": "web_session", "value": f"session-{name}", "domain": "127.0.0.1", "path": "/",
                     "expires": expires}], datetime.now(timezone.utc))


def test_a_source_signs_through_the_browser_with_a_pooled_session_and_reads_every_post(standin, runner, pools_dir):
    pool = CookiePool(pools_dir, "standin-ok")
    logged_in_account(standin, pool)
    result = runner.crawl(standin_source(standin, "standin-ok"), now=NOW)
    posts = by_native_id(result)
    assert sorted(posts) == ["n1", "n2", "n3"] and (result.blocked, result.needs_login) == (None, None)
    assert (posts["n3"].author.name, posts["n3"].text) == ("小林", "星河手机充电发烫，售后不管")
    assert posts["n3"].published_at == datetime.fromtimestamp(1700000300, timezone.utc)
    assert standin.counts["unsigned"] == 0 and standin.counts["signed"] == 1 and standin.counts["login_wall"] == 0


def test_an_expired_session_sets_the_account_aside_and_the_source_needs_login_said_once(standin, runner, pools_dir,
                                                                                           caplog):
    pool = CookiePool(pools_dir, "standin-expired")
    logged_in_account(standin, pool)
    standin.expire_sessions()
    source = standin_source(standin, "standin-expired")
    health = CrawlHealth(source.name)
    with caplog.at_level(logging.WARNING, logger="monitor.crawl.health"):
        for step in range(2):
            result = runner.crawl(source, now=NOW + timedelta(hours=step))
            record_crawl(health, result, NOW + timedelta(hours=step), source.interval)
    assert result.mentions == [] and standin.counts["login_wall"] == 1  # the second crawl asked nothing
    assert pool.accounts()[0].status == NEEDS_LOGIN and "session ended" in pool.accounts()[0].reason
    assert health.status == "needs_login" and health.needs_login.endswith("run: brandmon login standin-expired")
    said = [r.getMessage() for r in caplog.records if "needs login" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith("source standin-expired-watch needs login: the platform answered")


def test_a_redirect_to_the_login_page_sets_the_account_aside_too(runner, pools_dir):
    with StandIn(redirect_to_login=True) as site:
        pool = CookiePool(pools_dir, "standin-redirect")
        logged_in_account(site, pool)
        site.expire_sessions()
        result = runner.crawl(standin_source(site, "standin-redirect"), now=NOW)
        assert result.needs_login == ("redirected to a login page (cookies missing or expired?); "
                                      "run: brandmon login standin-redirect")
        assert pool.accounts()[0].status == NEEDS_LOGIN and site.counts["login_page"] == 1


def test_a_platform_with_no_account_in_the_pool_gets_no_request_at_all(standin, runner, pools_dir):
    result = runner.crawl(standin_source(standin, "standin-empty"), now=NOW)
    assert result.needs_login.startswith("no working account in the cookie pool")
    assert result.blocked.startswith("needs login") and result.mentions == []
    assert standin.counts["signed"] + standin.counts["unsigned"] == 0



def test_a_crawl_whose_signer_hangs_ends_with_the_request_counted_as_failed_and_nothing_sent(standin, runner,
                                                                                              pools_dir):
    logged_in_account(standin, CookiePool(pools_dir, "standin-hang"))
    source = standin_source(standin, "standin-hang", sign={"page": "{base}/", "script": "() => window.standinHang()",
                                                            "timeout": "3s"})
    result = runner.crawl(source, now=NOW)
    assert (result.mentions, result.pages, result.errors) == ([], 0, 1)
    assert standin.counts["signed"] + standin.counts["unsigned"] == 0  # unsigned, it was never sent
