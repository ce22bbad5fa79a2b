"""The real Redis server the tests use (scripts/test.sh starts one with scripts/redis.sh and sets
BRANDMON_TEST_REDIS_URL), and throwaway key prefixes on it."""

from __future__ import annotations

import os
import uuid

import pytest


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("BRANDMON_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("BRANDMON_TEST_REDIS_URL is unset: CI must run the Redis tests (use scripts/test.sh)")
        pytest.skip("no Redis server: run scripts/test.sh, or scripts/redis.sh start and set BRANDMON_TEST_REDIS_URL")
    return url


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
