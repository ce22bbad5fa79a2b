"""`brandmon rules backtest` and `brandmon silence` as users run them."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

from monitor.config import load_settings
from monitor.store import open_store
from tests.conftest import ROOT, write_config
from tests.detect.mentions import T0, hourly_noise, mention

CONFIG = """
brands:
  - name: 星河手机
channels:
  console: "console://"
  pr_oncall: "json://127.0.0.1:9/never-called"
  pr_manager: "json://127.0.0.1:9/never-called"
rules_dir: {rules}
state_dir: ./state
"""


def brandmon(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def stored(tmp_path, rules_copy, mentions) -> str:
    path = write_config(tmp_path, CONFIG.format(rules=rules_copy))
    store = open_store(load_settings(path).config)
    store.upsert(mentions)
    store.close()
    return str(path)


def test_a_backtest_lists_the_incident_a_past_surge_would_have_opened_and_touches_nothing(tmp_path, rules_copy):
    surge_at = T0 + timedelta(weeks=2, hours=3)
    config = stored(tmp_path, rules_copy, hourly_noise(T0, 24 * 15, mean=2.0)
                    + [mention(surge_at + timedelta(minutes=i), text="星河X5 黑屏") for i in range(25)])
    proc = brandmon("rules", "backtest", "-c", config, "--from", (surge_at - timedelta(days=1)).isoformat(),
                    "--to", (surge_at + timedelta(hours=2)).isoformat(), "--step", "15m", "--json")
    assert proc.returncode == 0, proc.stderr
    incidents = json.loads(proc.stdout.strip().splitlines()[-1])["incidents"]
    spikes = [i for i in incidents if i["rule"] == "negative_spike"]
    assert [(i["brand"], i["severity"]) for i in spikes] == [("星河手机", "critical")]
    assert surge_at.isoformat() < spikes[0]["opened_at"] < (surge_at + timedelta(hours=1)).isoformat()
    assert json.loads(brandmon("incidents", "-c", config, "--json").stdout) == {"incidents": []}


def test_a_backtest_that_ends_before_it_starts_is_a_clear_error(tmp_path, rules_copy):
    config = stored(tmp_path, rules_copy, [])
    proc = brandmon("rules", "backtest", "-c", config, "--from", "2026-11-02", "--to", "2026-11-01")
    assert proc.returncode == 2 and "must end after it starts" in proc.stderr


def test_silences_are_added_listed_and_expired_from_the_shell(tmp_path, rules_copy):
    config = stored(tmp_path, rules_copy, [])
    added = brandmon("silence", "add", "-c", config, "--brand", "星河手机", "--for", "2h", "--comment", "发布会",
                     "--by", "张三")
    assert added.returncode == 0, added.stderr
    silence_id = added.stdout.split(":")[0]
    listed = json.loads(brandmon("silence", "list", "-c", config, "--json").stdout)["silences"]
    assert [(s["id"], s["brand"], s["created_by"]) for s in listed] == [(silence_id, "星河手机", "张三")]
    assert brandmon("silence", "expire", "-c", config, silence_id).stdout.strip() == f"{silence_id}: expired"
    assert brandmon("silence", "list", "-c", config).stdout.strip() == "no silences"
    assert silence_id in brandmon("silence", "list", "-c", config, "--all").stdout


def test_a_silence_for_an_unknown_brand_is_refused(tmp_path, rules_copy):
    config = stored(tmp_path, rules_copy, [])
    proc = brandmon("silence", "add", "-c", config, "--brand", "星河", "--for", "2h")
    assert proc.returncode == 2 and "unknown brand '星河'" in proc.stderr
