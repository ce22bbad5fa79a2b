"""A short version of bench/detect.py: two small brands for 18 days, replayed every 10 minutes through the
real NLP stage, clustering, shipped rules and notification policy, and scored the bench's way."""

from __future__ import annotations

import sys
from datetime import timedelta

import pytest

from monitor.config import load_settings
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import detect  # noqa: E402
import stream as streams  # noqa: E402

BENIGN_CAUSES = set(streams.BENIGN) | {"chatter", "precursor", "quiet_source"}


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("detect-bench")
    detect.CACHE = folder / "cache"
    stream = streams.generate(5, 18, brands=streams.BRANDS[-2:])
    settings = load_settings(detect.write_config(folder, stream, ROOT / "rules"))
    mentions = detect.prepared(stream, settings, "truth")
    run = detect.replay(stream, settings, mentions, timedelta(minutes=10), folder / "replay.db")
    return stream, mentions, run


def test_every_labelled_crisis_of_the_short_stream_has_an_incident_and_false_alarms_have_a_benign_cause(replayed):
    stream, mentions, run = replayed
    report = detect.score(stream, detect._alarms_project(run), detect._first_posts(stream, mentions))
    crises = [e for e in stream.events if e.label == "crisis"]
    shapes = [s for s in report["shapes"].values() if s["crises"]]
    assert sum(s["crises"] for s in shapes) == len(crises) > 0
    assert all(n >= 1 for s in shapes for n in s["incidents_per_crisis"])
    # ten crises packed into four days on two brands: one that starts inside another's incident is told
    # only if it grows; most are notified after their own first post
    notified = sum(round(s["recall"] * s["crises"]) for s in shapes)
    assert notified >= 0.8 * len(crises) and all(s["median_delay_min"] >= 0 for s in shapes)
    assert set(report["false_incidents"]) <= BENIGN_CAUSES
    by_rule = sum(n for causes in report["false_by_rule"].values() for n in causes.values())
    assert by_rule == sum(report["false_incidents"].values())


def test_a_growth_re_notification_is_not_counted_as_a_first_notification(replayed):
    _, _, run = replayed
    alarms = detect._alarms_project(run)
    waves = {(d.incident_id, d.step.split("/")[0]) for d in run["deliveries"]
             if d.status == "sent" and d.step.startswith("w") and d.step.endswith("/0.0")}
    assert all(len(a["first_steps"]) <= 1 for a in alarms)  # one first notice per incident, every channel at once
    assert sum(len(a["renotified"]) for a in alarms) == len(waves)


def test_the_rules_run_every_fine_step_inside_the_crisis_spans_and_every_step_elsewhere():
    assert list(detect.cycles(0, 30, 5)) == [5, 10, 15, 20, 25, 30]
    assert list(detect.cycles(0, 30, 5, 1, [(9, 14)])) == [5, 10, 11, 12, 13, 14, 19, 24, 29]
