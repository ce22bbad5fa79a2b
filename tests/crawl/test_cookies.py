"""The cookie pool per platform (monitor/crawl/cookies.py): accounts in turn, expiry, set aside, file modes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from monitor.crawl.cookies import NEEDS_LOGIN, CookiePool


def test_accounts_take_turns_and_one_whose_cookies_all_expired_is_set_aside(tmp_path):
    pool = CookiePool(tmp_path, "turns")
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for name, days in (("a", 10), ("b", 10), ("c", -1)):
        pool.add(name, [{"name": "s", "value": name, "expires": (now + timedelta(days=days)).timestamp()},
                        {"name": "tracker", "value": "x", "expires": -1}], now)
    picked = [pool.pick(now).name for _ in range(4)]
    assert picked[:2] in (["a", "b"], ["b", "a"]) and picked[2:] == picked[:2]
    assert {a.name: (a.status, a.reason) for a in pool.accounts()}["c"] == (NEEDS_LOGIN, "its cookies expired")
    assert pool.set_aside("a", "login wall") is True and pool.set_aside("a", "login wall") is False
    assert [pool.pick(now).name for _ in range(2)] == ["b", "b"]
    assert pool.path.stat().st_mode & 0o777 == 0o600 and pool.path.parent.stat().st_mode & 0o777 == 0o700


def test_a_pool_file_that_is_not_json_is_named_in_the_error(tmp_path):
    pool = CookiePool(tmp_path, "broken")
    pool.path.parent.mkdir(parents=True)
    pool.path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="broken.json: not a cookie pool"):
        pool.pick(datetime(2026, 1, 1, tzinfo=timezone.utc))


def test_a_platform_name_cannot_leave_the_cookies_folder(tmp_path):
    with pytest.raises(ValueError, match="is not a platform name"):
        CookiePool(tmp_path, "../etc")
