"""`brandmon import` then `brandmon rules backtest`: a user trying the shipped rules on their own history."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np

from tests.alerting.test_commands import CONFIG, brandmon
from tests.conftest import write_config
from tests.detect.mentions import T0


def record(n: int, at, text: str, label: str, parent: str | None = None) -> dict:
    return {"id": f"weibo:{n}", "source": "weibo", "platform": "weibo", "url": f"http://127.0.0.1/p/{n}",
            "published_at": at.isoformat(), "text": text, "author": {"id": f"u{n}", "name": f"网友{n}", "followers": 50 + n % 300},
            "engagement": {"likes": n % 7, "comments": 0, "reposts": 0}, "parent_id": parent, "sentiment_label": label}


def history(surge_at) -> list[dict]:
    """Two weeks of everyday chatter (a quarter negative, each post its own words), then a repost storm."""
    rng = np.random.default_rng(3)
    words = ["续航", "拍照", "屏幕", "信号", "系统", "价格", "外观", "充电", "发热", "售后"]
    out = []
    for h in range(24 * 15):
        for k in range(rng.poisson(4)):
            n = len(out)
            at = T0 + timedelta(hours=h, minutes=int(rng.integers(0, 60)))
            a, b = rng.choice(words, 2, replace=False)
            label = "negative" if rng.random() < 0.25 else "neutral"
            out.append(record(n, at, f"星河手机的{a}和{b}，第{n}次说，{rng.integers(1000)}", label))
    origin = record(len(out), surge_at, "星河手机爆炸起火，视频曝光，大家转起来", "negative")
    out.append(origin)
    for i in range(60):
        out.append(record(len(out), surge_at + timedelta(minutes=1 + i // 6), "转发微博 //" + origin["text"], "negative",
                          parent=origin["id"]))
    return out


def test_imported_history_replays_into_one_incident_with_its_storm_size_and_one_message_per_step(tmp_path, rules_copy):
    surge_at = T0 + timedelta(weeks=2, hours=3)
    records = history(surge_at)
    data = tmp_path / "history.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n这一行不是 JSON\n",
                    encoding="utf-8")
    config = str(write_config(tmp_path, CONFIG.format(rules=rules_copy) + "alerting:\n  incident_per: brand\n"))
    loaded = brandmon("import", str(data), "-c", config, "--keep-sentiment", "--json")
    assert loaded.returncode == 1  # one bad line, reported with its number; everything else stored
    assert f"history.jsonl:{len(records) + 1}: not JSON" in loaded.stderr
    assert json.loads(loaded.stdout.strip().splitlines()[-1]) == {
        "read": len(records) + 1, "stored": len(records), "not_about_a_brand": 0, "bad": 1}
    proc = brandmon("rules", "backtest", "-c", config, "--from", (surge_at - timedelta(hours=6)).isoformat(),
                    "--to", (surge_at + timedelta(hours=1)).isoformat(), "--step", "5m", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    [incident] = out["incidents"]
    assert (incident["brand"], incident["severity"]) == ("星河手机", "critical")
    assert surge_at.isoformat() < incident["opened_at"] <= (surge_at + timedelta(minutes=15)).isoformat()
    assert max(incident["cluster_sizes"]) >= 50
    first = [n for n in out["notifications"] if n["step"] == "0.0"]
    assert [(n["incident"], n["channels"]) for n in first] == [(incident["id"], ["console", "pr_oncall"])]
    assert len({n["step"] for n in out["notifications"]}) == len(out["notifications"])  # each step once
