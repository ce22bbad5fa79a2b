"""Shared fixtures: real files, real servers on loopback, an injected clock."""

from __future__ import annotations

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
