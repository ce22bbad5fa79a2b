"""The store breaking under a running daemon, short versions of bench/fault_scenarios/store.py: nothing is
lost or stored twice, and /healthz says what is wrong while it is wrong."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def scenarios():
    spec = importlib.util.spec_from_file_location("store_faults", ROOT / "bench" / "fault_scenarios" / "store.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def can_mount(tmp_path) -> bool:
    probe = tmp_path / "probe"
    probe.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(probe)], capture_output=True)
    if made.returncode != 0:
        return False
    subprocess.run(["umount", str(probe)], capture_output=True)
    return True


@pytest.mark.skipif(sys.platform != "linux", reason="tmpfs mounts are a Linux thing")
def test_a_full_disk_fails_health_with_the_reason_and_every_mention_arrives_once_space_returns(tmp_path):
    if not can_mount(tmp_path):
        pytest.skip("mounting a tmpfs needs root (CAP_SYS_ADMIN)")
    result = scenarios().disk_full(tmp_path / "run", seconds=10)
    assert (result["lost"], result["duplicated"]) == (0, 0) and result["expected"] > 0
    assert result["health_seconds"] is not None and result["health_seconds"] <= 30
    reasons = result["reasons_while_full"]
    assert any(r.startswith("disk: ") and "below daemon.min_free_disk_mb" in r for r in reasons)
    assert any(r.startswith("store: ") and "disk is full" in r for r in reasons)
    assert result["tracebacks"] <= 3  # one line per change of state, not one per failed call


def _rows(db) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM mentions").fetchone()[0]


def test_a_corrupt_sqlite_file_under_a_running_daemon_fails_health_and_status_says_why(site, receiver, tmp_path):
    from tests.daemon.conftest import DaemonProcess, brandmon, daemon_config

    config = daemon_config(tmp_path, site, receiver)
    daemon = DaemonProcess(config, tmp_path / "daemon.log")
    try:
        daemon.wait_for(daemon.healthy, timeout=120)
        db = config.parent / "state" / "brandmon.db"
        daemon.wait_for(lambda: _rows(db) > 0, timeout=120)
        with sqlite3.connect(db) as conn:  # what the WAL holds goes into the file, which is then damaged
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with db.open("r+b") as f:  # garbage over every page but the header
            size = f.seek(0, 2)
            f.seek(4096)
            f.write(b"\xde\xad\xbe\xef" * ((size - 4096) // 4))
        status, body = daemon.wait_for(lambda: (r := daemon.get("/healthz"))[0] == 503 and r, timeout=60)
        assert any(reason.startswith("store: ") for reason in json.loads(body)["reasons"])
        proc = brandmon("status", "-c", str(config))
        assert "Traceback" not in proc.stderr and "KeyError" not in proc.stderr
        assert "UNREACHABLE" in proc.stdout and "open incidents UNKNOWN" in proc.stdout
        assert "no open incidents" not in proc.stdout
    finally:
        daemon.kill()
