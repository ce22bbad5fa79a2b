"""Shared fixtures: real files, real servers on loopback, an injected clock."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from monitor.clock import FakeClock

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc))


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """The shipped rules folder, copied so a test may edit it."""
    target = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", target)
    return target


def write_config(folder: Path, text: str) -> Path:
    path = folder / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def server_url(variable: str, what: str) -> str:
    """The loopback server scripts/test.sh started for `what`, from `variable`: CI must have it (fail);
    elsewhere the tests that need it are skipped."""
    url = os.environ.get(variable)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{variable} is unset: CI must run the {what} tests (use scripts/test.sh)")
        pytest.skip(f"no {what}: run scripts/test.sh, or set {variable}")
    return url


def config_with_open_incident(folder: Path) -> Path:
    """A small config whose embedded store holds one open incident, INC-1 for 星河手机: what the incident
    commands (ack, resolve, assign, note) act on."""
    from monitor.config import load_settings
    from monitor.incident import Incident
    from monitor.store import open_store

    path = write_config(folder, f"""
state_dir: {folder / 'state'}
brands:
  - name: 星河手机
channels:
  console: "console://"
  pr_oncall: "console://"
  pr_manager: "console://"
rules_dir: {ROOT / 'monitor' / 'demo' / 'rules'}
""")
    store = open_store(load_settings(path).config)
    now = datetime.now(timezone.utc)
    store.save_incident(Incident(id="INC-1", fingerprint="f", rule="r", brand="星河手机", severity="warning",
                                 title="t", playbook={}, opened_at=now, last_seen_at=now))
    store.close()
    return path
