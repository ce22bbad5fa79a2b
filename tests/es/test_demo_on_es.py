"""`brandmon demo --es URL`: the demo against a real node, run twice as a curious user would."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.es.node import drop_prefix

DEMO_PREFIX = "brandmon-demo"  # what monitor/demo/run.py writes into the demo's config


def demo(es_url: str, folder) -> dict:
    proc = subprocess.run([sys.executable, "-m", "monitor", "demo", "--dir", str(folder), "--es", es_url, "--json"],
                          capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def clean_demo_indices(es):
    drop_prefix(es, DEMO_PREFIX)
    yield
    drop_prefix(es, DEMO_PREFIX)


def test_a_second_demo_run_updates_the_mentions_in_place_and_starts_without_old_incidents(
        clean_demo_indices, es, es_url, tmp_path):
    first = demo(es_url, tmp_path)
    assert es.count(index=f"{DEMO_PREFIX}-mentions")["count"] == first["mentions"] >= 40
    assert len(set(first["queue_ids"])) == first["negative"] > 0  # the reply queue reads Elasticsearch as it reads SQLite
    second = demo(es_url, tmp_path)
    assert es.count(index=f"{DEMO_PREFIX}-mentions")["count"] == second["mentions"] == first["mentions"]
    assert [(i["rule"], i["state"]) for i in second["incidents"]] == [(i["rule"], i["state"]) for i in first["incidents"]]
    assert ("negative_spike", "acked") in [(i["rule"], i["state"]) for i in second["incidents"]]
    assert es.count(index=f"{DEMO_PREFIX}-incidents")["count"] == len(second["incidents"])
