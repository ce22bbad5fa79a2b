"""Two `brandmon run` daemons on one store: one alerting leader; kill it mid-escalation and the other
takes over, every notice going out exactly once."""

from __future__ import annotations

import json
import sqlite3
import time

import yaml

from tests.daemon.conftest import DaemonProcess, brandmon, daemon_config

LEASE = "3s"
RULE = """type: keyword
description: 提到星河
severity: warning
brands: [星河手机]
keywords: [星河]
window: 1d
min_count: 1
"""
PLAYBOOKS = """warning:
  steps:
    - notify: [hook]
    - after: 15s
      notify: [later]
  resolve_after: 1d
"""


def _config(folder, site, receiver, shared_db):
    path = daemon_config(folder, site, receiver, leader_lease=LEASE)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    rules = folder / "rules"
    (rules / "quiet.yaml").unlink()
    (rules / "fires.yaml").write_text(RULE, encoding="utf-8")
    (rules / "playbooks.yaml").write_text(PLAYBOOKS, encoding="utf-8")
    data["channels"]["later"] = receiver.url("later")
    data["store"] = {"backend": "embedded", "path": str(shared_db)}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _leading(daemon: DaemonProcess) -> bool:
    return any("now the alerting leader" in line.get("msg", "") for line in daemon.logs())


def _daemons(config) -> list[dict]:
    """The daemons `brandmon status --json` lists (every daemon sharing the store, from its heartbeat)."""
    done = brandmon("status", "-c", str(config), "--json")
    return json.loads(done.stdout.strip().splitlines()[-1])["daemons"]


def _sent(db_path, step: str) -> bool:
    with sqlite3.connect(db_path) as db:
        return bool(db.execute("SELECT 1 FROM deliveries WHERE step=? AND status='sent'", (step,)).fetchone())


def test_the_follower_takes_over_a_killed_leader_and_no_notice_is_lost_or_repeated(site, receiver, tmp_path):
    receiver.received.clear()
    shared = tmp_path / "shared.db"
    first = DaemonProcess(_config(tmp_path / "a", site, receiver, shared), tmp_path / "a.log")
    second = None
    try:
        first.wait_for(lambda: _leading(first), timeout=60)
        second = DaemonProcess(_config(tmp_path / "b", site, receiver, shared), tmp_path / "b.log")
        second.wait_for(second.healthy, timeout=60)
        both = second.wait_for(lambda: _daemons(second.config) if len(_daemons(second.config)) == 2 else None, 60)
        assert sorted(d["leader"] for d in both) == [False, True]  # each shown, neither overwriting the other
        assert len({d["state_dir"] for d in both}) == 2 and not any(d["stale"] for d in both)
        first.wait_for(lambda: _sent(shared, "0.0"), timeout=120)  # the leader sent the first step
        first.kill()  # mid-escalation: the second step is due 15 s after the incident opened
        second.wait_for(lambda: _leading(second), timeout=60)
        second.wait_for(lambda: _sent(shared, "0.1"), timeout=120)
        second.wait_for(lambda: len(receiver.received) >= 2, timeout=30)
        time.sleep(3)  # a few more ticks of the new leader: nothing is sent again
        assert sorted(receiver.paths()) == ["/hook", "/later"]
    finally:
        first.kill()
        if second is not None:
            second.kill()
