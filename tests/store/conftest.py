"""Every store test runs against each backend the contract covers."""

from __future__ import annotations

import pytest

from monitor.store.sqlite import SqliteStore


@pytest.fixture(params=["embedded"])
def store(request, tmp_path):
    backend = SqliteStore(tmp_path / "brandmon.db")
    yield backend
    backend.close()
