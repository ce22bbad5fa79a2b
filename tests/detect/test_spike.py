"""The spike rule over a real store: seasonal baseline, warm-up, persistence, consecutive buckets, groups."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.detect import spike
from monitor.store.sqlite import SqliteStore
from tests.detect.mentions import T0, hourly_noise, mention, rule

WEEK = timedelta(weeks=1)
NEGATIVE = {"sentiment": ["negative"]}


def spike_rule(**options):
    return rule("spike", filter=NEGATIVE, brands=["星河手机"], severity="critical", **options)


def surge(at, n: int, **kw):
    return [mention(at + timedelta(minutes=i % 50), text="星河X5 充电 爆炸 起火", keywords=("爆炸", "起火"), **kw)
            for i in range(n)]


def test_a_quiet_week_with_noise_raises_nothing(store, context):
    store.upsert(hourly_noise(T0, 24 * 21, mean=2.0))
    r = spike_rule()
    fired = [f for h in range(24 * 14, 24 * 21) for f in spike.evaluate(r, context(T0 + timedelta(hours=h)))]
    assert fired == []


def test_a_surge_fires_with_its_figures_keywords_and_linked_examples(store, context):
    store.upsert(hourly_noise(T0, 24 * 14, mean=2.0))
    now = T0 + 2 * WEEK + timedelta(hours=10)
    store.upsert(surge(now - timedelta(minutes=55), 30))
    [finding] = spike.evaluate(spike_rule(), context(now))
    assert finding.fingerprint == "test_spike|星河手机|"
    assert finding.figures["count"] >= 30 and finding.figures["baseline"] < 5
    assert finding.figures["p_value"] < 1e-6
    assert finding.keywords[:2] == ["爆炸", "起火"]
    assert len(finding.examples) == 3 and all(e.url.startswith("http://127.0.0.1/t/") for e in finding.examples)
    assert finding.title.startswith("星河手机 声量激增：60 分钟")


def test_a_backlog_of_posts_without_times_is_not_a_surge_but_the_same_posts_with_times_are(store, context):
    store.upsert(hourly_noise(T0, 24 * 14, mean=2.0))
    now = T0 + 2 * WEEK + timedelta(hours=10)
    undated = surge(now - timedelta(minutes=55), 30)
    for m in undated:  # a first crawl of creator pages without times: stored at the crawl that found them
        m.time_unknown = True
    store.upsert(undated)
    assert spike.evaluate(spike_rule(), context(now)) == []
    store.upsert(surge(now - timedelta(minutes=55), 30))
    [finding] = spike.evaluate(spike_rule(), context(now))
    assert 30 <= finding.figures["count"] < 30 + 15  # the 30 dated posts and the hour's noise, not the backlog
    assert finding.examples and not any(e.time_unknown for e in finding.examples)


def test_nothing_fires_during_the_warmup(store, context):
    store.upsert(hourly_noise(T0, 24 * 3, mean=2.0))
    now = T0 + timedelta(days=3, hours=1)
    store.upsert(surge(now - timedelta(minutes=55), 30))
    assert spike.evaluate(spike_rule(), context(now)) == []
    assert spike.evaluate(spike_rule(warmup="2d"), context(now)) != []


def test_ten_mentions_are_usual_in_the_evening_but_a_spike_at_dawn(store, context):
    store.upsert(hourly_noise(T0, 24 * 21, mean=4.0))
    r = spike_rule(ratio=1.5)
    evening = T0 + 3 * WEEK + timedelta(hours=21)  # 21:00 in Shanghai, when ~6 an hour is normal
    dawn = T0 + 3 * WEEK + timedelta(hours=5)  # 05:00, when ~1 an hour is normal
    store.upsert(surge(evening - timedelta(minutes=55), 10) + surge(dawn - timedelta(minutes=55), 10))
    assert spike.evaluate(r, context(dawn)) != []
    assert spike.evaluate(r, context(evening)) == []


def test_the_baseline_is_kept_in_the_store_and_survives_a_restart(tmp_path, store, context):
    store.upsert(hourly_noise(T0, 24 * 14, mean=2.0))
    now = T0 + 2 * WEEK
    spike.evaluate(spike_rule(), context(now))
    state = store.get_state("spike:test_spike:星河手机:")
    assert state["baseline"]["folded_until"] == (now - timedelta(hours=1)).timestamp()
    store.close()
    reopened = SqliteStore(tmp_path / "brandmon.db")
    reopened.put_state("probe", 1)
    assert reopened.get_state("spike:test_spike:星河手机:") == state
    reopened.close()


def test_a_changed_filter_learns_a_fresh_baseline(store, context):
    store.upsert(hourly_noise(T0, 24 * 14, mean=2.0) + hourly_noise(T0, 24 * 14, mean=20.0, label="positive"))
    now = T0 + 2 * WEEK
    spike.evaluate(spike_rule(), context(now))
    negative_only = store.get_state("spike:test_spike:星河手机:")
    spike.evaluate(rule("spike", name="test_spike", brands=["星河手机"]), context(now))
    everything = store.get_state("spike:test_spike:星河手机:")
    assert everything["signature"] != negative_only["signature"]
    assert sum(everything["baseline"]["means"]) > 5 * sum(negative_only["baseline"]["means"])


def test_consecutive_buckets_must_all_be_unusual(store, context):
    store.upsert(hourly_noise(T0, 24 * 14, mean=1.0))
    now = T0 + 2 * WEEK + timedelta(hours=10)
    store.upsert(surge(now - timedelta(minutes=55), 20))
    r = spike_rule(consecutive=2)
    assert spike.evaluate(r, context(now)) == []
    store.upsert(surge(now + timedelta(minutes=5), 20))
    [finding] = spike.evaluate(r, context(now + timedelta(hours=1)))
    assert len(finding.figures["counts"]) == 2


def test_grouping_by_source_fires_only_for_the_source_that_surged(store, context):
    sources = ({"name": "bbs", "type": "feed", "start_urls": ["http://127.0.0.1/a"]},
               {"name": "news", "type": "feed", "start_urls": ["http://127.0.0.1/b"]})
    store.upsert(hourly_noise(T0, 24 * 14, mean=1.0, source="bbs") + hourly_noise(T0, 24 * 14, mean=1.0, source="news"))
    now = T0 + 2 * WEEK + timedelta(hours=10)
    store.upsert(surge(now - timedelta(minutes=55), 20, source="news"))
    [finding] = spike.evaluate(spike_rule(group_by="source"), context(now, sources))
    assert (finding.group, finding.fingerprint) == ("news", "test_spike|星河手机|news")


def copies(at, n: int, cluster: str, parent: str | None = None, label: str = "negative"):
    """n copies of one story: pasted (no parent post) or reposted (each names the post it passes on)."""
    out = []
    for m in surge(at, n):
        m.cluster_id, m.cluster_size, m.parent_id, m.sentiment_label = cluster, n, parent, label
        out.append(m)
    return out


def test_a_spam_wave_pasted_by_many_accounts_counts_once_but_a_repost_storm_counts_every_copy(store, context):
    store.upsert(hourly_noise(T0, 24 * 14, mean=2.0))
    spam_at = T0 + 2 * WEEK + timedelta(hours=10)
    storm_at = spam_at + timedelta(days=2)
    store.upsert(copies(spam_at - timedelta(minutes=55), 40, "c-spam"))
    store.upsert(copies(storm_at - timedelta(minutes=55), 40, "c-storm", parent="weibo:origin"))
    once = spike_rule(paste_once=True)
    assert spike.evaluate(once, context(spam_at)) == []
    assert spike.evaluate(spike_rule(), context(spam_at)) != []  # counted copy by copy, the wave is a "surge"
    [storm] = spike.evaluate(once, context(storm_at))
    assert storm.figures["count"] >= 40 and storm.figures["clusters"][0] == 40


def test_a_rush_that_brings_complaints_a_little_above_their_share_is_quiet_but_complaints_alone_fire(store, context):
    store.upsert(hourly_noise(T0, 24 * 14, mean=2.0) + hourly_noise(T0, 24 * 14, mean=6.0, seed=11, label="neutral"))
    rush = T0 + 2 * WEEK + timedelta(hours=10)  # normal share 0.25; s₁ = 0.25 + 0.2 · 0.75 = 0.4
    crisis = rush + timedelta(days=2)
    store.upsert(surge(rush - timedelta(minutes=55), 30) + copies(rush - timedelta(minutes=55), 40, None, label="neutral"))
    store.upsert(surge(crisis - timedelta(minutes=55), 30) + copies(crisis - timedelta(minutes=55), 8, None, label="neutral"))
    by_chance = spike_rule(share_lift=0.2, share_p_value=0.01)
    assert spike.evaluate(spike_rule(share_lift=0.2), context(rush)) != []  # about 0.43 of 75: over s₁ by chance
    assert spike.evaluate(by_chance, context(rush)) == []
    [finding] = spike.evaluate(by_chance, context(crisis))
    assert finding.figures["count"] >= 30


def test_a_brand_heard_only_in_complaints_has_no_share_to_rise_so_the_count_decides(store, context):
    store.upsert(hourly_noise(T0, 24 * 14, mean=2.0))  # every mention negative: the normal share is 1
    now = T0 + 2 * WEEK + timedelta(hours=10)
    store.upsert(surge(now - timedelta(minutes=55), 30))
    [finding] = spike.evaluate(spike_rule(share_lift=0.2, share_p_value=0.01), context(now))
    assert finding.figures["count"] >= 30


def test_paste_once_needs_mentions_counted_in_windows():
    with pytest.raises(ValueError, match="paste_once"):
        spike_rule(paste_once=True, count="stories")
