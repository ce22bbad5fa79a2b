"""One crawl runner for the whole session (its Twisted reactor cannot be restarted), tuned so failure
cases take fractions of a second, and helpers to build sources the way a config file would."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from monitor.config.model import SPIDER_OPTIONS, SourceConfig
from monitor.crawl.runner import CrawlRunner
from tests.crawl.fixture_site import FixtureSite

FAST = {
    "AUTOTHROTTLE_START_DELAY": 0.0,
    "DOWNLOAD_TIMEOUT": 1.0,
    "RETRY_TIMES": 1,
    "BRANDMON_BACKOFF_BASE": 0.05,
    "BRANDMON_BACKOFF_MAX": 0.2,
    "BRANDMON_ALLOW_NETWORKS": ["127.0.0.1/32"],  # the fixture sites; 127.0.0.2 plays a foreign private host
}
JSON = {"content_type": "application/json"}
CONFIG_HEAD = """
timezone: Asia/Shanghai
state_dir: {state}
brands:
  - name: 星河手机
    aliases: [星河]
channels:
  console: "console://"
  pr_oncall: "json://127.0.0.1:9/hook"
  pr_manager: "json://127.0.0.1:9/lead"
rules_dir: {rules}
sources:
"""  # a config file up to its sources; the fixture pages all talk about 星河手机


@pytest.fixture(scope="session")
def pools_dir(tmp_path_factory):
    """The session runner's state_dir, where cookie pools live (each test names its own platform)."""
    return tmp_path_factory.mktemp("state")


@pytest.fixture(scope="session")
def runner(pools_dir) -> CrawlRunner:
    return CrawlRunner("Asia/Shanghai", FAST, state_dir=pools_dir)  # never stopped: ends with the process


@pytest.fixture
def serve():
    """serve(folder, {target: file}, **file_options) → a running FixtureSite, stopped after the test."""
    with ExitStack() as stack:
        yield lambda folder, routes=None, **kwargs: stack.enter_context(FixtureSite(folder)).files(routes or {},
                                                                                                   **kwargs)


def make_source(name: str, spider_type: str, options: dict | None = None, **fields) -> SourceConfig:
    """A source validated exactly as the config loader does it (options typed by spider type)."""
    typed = SPIDER_OPTIONS[spider_type].model_validate(options or {})
    return SourceConfig.model_validate({"name": name, "type": spider_type, "options": typed, **fields})


def forum_source(name: str, preset: str, site, boards: list, **fields) -> SourceConfig:
    return make_source(name, "forum", {"preset": preset, "base_url": site.url, "boards": boards}, **fields)


def by_native_id(result) -> dict:
    return {m.native_id: m for m in result.mentions}
