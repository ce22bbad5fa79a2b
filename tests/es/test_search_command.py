"""`brandmon search` on whichever store the config names, embedded or Elasticsearch."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from monitor.config import load_settings
from monitor.store import open_store
from tests.daemon.conftest import brandmon
from tests.es.node import config_file
from tests.store.records import mention


@pytest.fixture(params=["embedded", "elasticsearch"])
def config(request, tmp_path):
    """A config over a store holding four mentions of the last few days."""
    es_url, prefix = None, "brandmon"
    if request.param == "elasticsearch":
        es_url, prefix = request.getfixturevalue("es_url"), request.getfixturevalue("es_prefix")
    path = config_file(tmp_path, es_url, prefix)
    now = datetime.now(timezone.utc)
    rows = [("星河手机 电池 鼓包 太 吓人", "星河手机", "negative", 2), ("星河 新款 续航 不错", "星河手机", "positive", 5),
            ("云朵奶茶 电池 图案 杯子", "云朵奶茶", "neutral", 3), ("星河手机 电池 又 鼓包", "星河手机", "negative", 24 * 3)]
    store = open_store(load_settings(path).config)
    store.upsert([replace(mention(n, 0, brand=brand, label=label, text=text),
                          published_at=now - timedelta(hours=hours), tokens=text.split())
                  for n, (text, brand, label, hours) in enumerate(rows, 1)])
    store.close()
    return path


def search(config, *args: str) -> dict:
    proc = brandmon("search", *args, "-c", str(config), "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_search_finds_every_mention_with_the_words_newest_first(config):
    found = search(config, "电池 鼓包")
    assert found["total"] == 2
    assert [m["id"] for m in found["mentions"]] == ["forum:1", "forum:4"]


def test_search_narrows_by_brand_recency_and_sentiment(config):
    assert search(config, "电池", "--brand", "云朵奶茶")["total"] == 1
    assert search(config, "电池", "--since", "24h")["total"] == 2
    assert [m["id"] for m in search(config, "星河手机", "--sentiment", "negative", "--since", "2d")["mentions"]] == [
        "forum:1"]


def test_search_prints_one_line_per_mention_in_the_configured_zone(config):
    proc = brandmon("search", "鼓包", "--since", "24h", "-c", str(config))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "1 mention(s) match, newest first"
    assert "[negative] 星河手机" in lines[1] and "星河手机 电池 鼓包 太 吓人" in lines[1]


def test_search_rejects_an_unknown_brand_and_a_bad_period(tmp_path):
    config = config_file(tmp_path)
    brand = brandmon("search", "电池", "--brand", "小米", "-c", str(config))
    assert brand.returncode == 2 and "unknown brand '小米' (configured: 星河手机, 云朵奶茶)" in brand.stderr
    since = brandmon("search", "电池", "--since", "lately", "-c", str(config))
    assert since.returncode == 2 and "--since" in since.stderr


def test_filters_alone_find_every_negative_of_the_last_hours_without_a_word(config):
    found = search(config, "--sentiment", "negative", "--since", "12h")
    assert [m["id"] for m in found["mentions"]] == ["forum:1"]
    assert search(config, "--brand", "星河手机")["total"] == 3


def test_the_readme_example_with_two_separate_words_searches_for_both(config):
    found = search(config, "电池", "鼓包", "--brand", "星河手机", "--since", "24h", "--sentiment", "negative")
    assert [m["id"] for m in found["mentions"]] == ["forum:1"]


def test_the_search_output_follows_a_chinese_locale(config):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    proc = subprocess.run([sys.executable, "-m", "monitor", "search", "鼓包", "--since", "24h", "-c", str(config)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, "LANG": "zh_CN.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""})
    assert proc.stdout.splitlines()[0] == "共 1 条匹配，最新的在前"
