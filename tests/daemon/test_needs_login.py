"""A source whose platform wants a logged-in session and has none: the daemon says so in /healthz warnings
and `brandmon status`, and tries again as soon as an operator has logged in (not after the backoff)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from monitor.config import load_settings
from monitor.crawl.cookies import CookiePool
from monitor.daemon import Daemon
from tests.daemon.conftest import brandmon, daemon_config

LOGIN = {"page": "{base}/login", "qr_image": "#qr", "done": "false"}


@pytest.fixture
def daemon(site, receiver, tmp_path):
    path = daemon_config(tmp_path, site, receiver)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    forum = next(s for s in data["sources"] if s["type"] == "forum")
    forum["options"]["login"] = LOGIN
    forum["platform"] = "demo-forum"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    d = Daemon(load_settings(path))
    d.ready = True
    yield d, path, next(s for s in d.settings.config.sources if s.type == "forum")
    d.web.stop()
    d.nlp.close()
    d.monitor.close()
    d.lock.release()


def test_needing_login_is_a_healthz_warning_and_a_status_until_someone_logs_in(daemon):
    d, path, source = daemon
    d.crawl(source)
    pool = CookiePool(d.settings.config.state_dir, "demo-forum")
    assert d.warnings() == [f"source {source.name} needs login: no working account in the cookie pool {pool.path}; "
                            "run: brandmon login demo-forum"]
    d.lock.release()  # `brandmon status` reads the store as a second process would
    status = brandmon("status", "-c", str(path), "--json")
    row = next(s for s in json.loads(status.stdout.strip().splitlines()[-1])["sources"] if s["name"] == source.name)
    assert (row["health"], row["needs_login"]) == ("needs_login", d.warnings()[0].split(": ", 1)[1])
    pool.add("ops", [{"name": "sid", "value": "1", "expires": -1}], datetime.now(timezone.utc) + timedelta(seconds=1))
    d.crawl(source)  # within the backoff, but someone logged in since: crawled now
    assert d.warnings() == []
    health = d.monitor.get_state(f"health:{source.name}")
    assert health["needs_login"] is None and health["status"] in ("ok", "degraded")  # degraded: the failed crawl
    assert health["last_success"] == health["last_crawl"]  # still weighs in the smoothed error rate
