"""A real embedded store per test, and rule contexts over it at any moment."""

from __future__ import annotations

from datetime import datetime

import pytest

from monitor.detect.finding import RuleContext
from monitor.store.sqlite import SqliteStore
from tests.detect.mentions import settings_for


@pytest.fixture
def store(tmp_path):
    backend = SqliteStore(tmp_path / "brandmon.db")
    yield backend
    backend.close()


@pytest.fixture
def context(store):
    """A RuleContext at any moment, over the test store and the two test brands."""
    def at(now: datetime, sources: tuple[dict, ...] = ()) -> RuleContext:
        return RuleContext(store, now, settings_for(sources=sources).config)
    return at
