"""The real Redis server the tests use (scripts/test.sh starts one with scripts/redis.sh and sets
BRANDMON_TEST_REDIS_URL), and throwaway key prefixes on it."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import server_url


@pytest.fixture(scope="session")
def redis_url() -> str:
    return server_url("BRANDMON_TEST_REDIS_URL", "Redis")


@pytest.fixture
def redis_prefix(redis_url):
    """A fresh key prefix; its keys are deleted after the test."""
    import redis

    prefix = f"brandmon-test-{uuid.uuid4().hex[:10]}"
    client = redis.Redis.from_url(redis_url)
    yield prefix
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        client.delete(key)
    client.close()
