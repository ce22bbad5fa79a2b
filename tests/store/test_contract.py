"""The store contract: what the rules, the policy and the CLI rely on, for every backend."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from monitor.incident import Event, Incident
from monitor.mention import Author, Engagement, Mention
from monitor.store.base import Query

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def mention(n: int, minutes: int, brand: str = "小米", label: str = "negative", text: str | None = None,
            likes: int = 0, crisis: list[str] | None = None) -> Mention:
    body = text or f"第{n}条 小米 手机 发热 严重"
    return Mention(id=f"forum:{n}", platform="forum", source="bbs", url=f"http://127.0.0.1/t/{n}", text=body,
                   published_at=T0 + timedelta(minutes=minutes), crawled_at=T0, brands=[brand],
                   tokens=body.split(), keywords=["发热", f"词{n % 2}"], sentiment=0.1, sentiment_label=label,
                   author=Author(name=f"用户{n}"), engagement=Engagement(likes=likes),
                   crisis_terms=crisis or [])


def test_upsert_is_idempotent_by_mention_id(store):
    first = store.upsert([mention(1, 0), mention(2, 1)])
    again = store.upsert([mention(1, 0), mention(2, 1)])
    assert (first.new, first.updated) == (2, 0)
    assert (again.new, again.updated) == (0, 2)
    assert store.count(Query()) == 2


def test_a_recrawl_updates_the_stored_mention_in_place(store):
    store.upsert([mention(1, 0, likes=1)])
    store.upsert([mention(1, 0, likes=50)])
    [found] = store.find(Query())
    assert found.engagement.likes == 50


def test_counts_filter_by_brand_sentiment_and_time(store):
    store.upsert([mention(1, 0), mention(2, 5, label="positive"), mention(3, 10, brand="华为"), mention(4, 20)])
    assert store.count(Query(brand="小米")) == 3
    assert store.count(Query(brand="小米", sentiments=("negative",))) == 2
    assert store.count(Query(start=T0 + timedelta(minutes=5), end=T0 + timedelta(minutes=20))) == 2


def test_histogram_includes_empty_buckets(store):
    store.upsert([mention(1, 1), mention(2, 2), mention(3, 25)])
    buckets = store.histogram(Query(start=T0, end=T0 + timedelta(minutes=30)), timedelta(minutes=10))
    assert buckets == [(T0, 2), (T0 + timedelta(minutes=10), 0), (T0 + timedelta(minutes=20), 1)]


def test_full_text_search_finds_chinese_words(store):
    store.upsert([mention(1, 0, text="小米 手机 发热 严重"), mention(2, 1, text="华为 平板 很 好用")])
    assert [m.id for m in store.find(Query(text="发热"))] == ["forum:1"]
    assert store.count(Query(text="平板")) == 1


def test_find_orders_by_engagement_for_examples(store):
    store.upsert([mention(1, 0, likes=3), mention(2, 1, likes=90), mention(3, 2, likes=10)])
    assert [m.id for m in store.find(Query(), limit=2, order="engagement")] == ["forum:2", "forum:3"]
    assert [m.id for m in store.find(Query(), limit=1)] == ["forum:3"]


def test_crisis_filter_and_top_terms(store):
    store.upsert([mention(1, 0, crisis=["爆炸"]), mention(2, 1), mention(3, 2, crisis=["召回"])])
    assert store.count(Query(crisis=True)) == 2
    assert store.top_terms(Query(), 1) == [("发热", 3)]


def test_mentions_round_trip_with_aware_times(store):
    original = mention(7, 3)
    store.upsert([original])
    [back] = store.find(Query())
    assert back == original
    assert back.published_at.tzinfo is not None


def incident(n: int = 1, state: str = "open") -> Incident:
    return Incident(id=f"INC-{n}", fingerprint=f"spike|小米|{n}", rule="spike", brand="小米",
                    severity="critical", title="小米 声量激增", playbook={"name": "critical"},
                    opened_at=T0 + timedelta(minutes=n), last_seen_at=T0, state=state, figures={"count": 9})


def test_incidents_persist_and_filter_by_state(store):
    store.save_incident(incident(1))
    store.save_incident(incident(2, "resolved"))
    changed = incident(1, "acked")
    changed.acked_by = "王经理"
    store.save_incident(changed)
    assert store.get_incident("INC-1").acked_by == "王经理"
    assert [i.id for i in store.incidents(states=("open", "acked"))] == ["INC-1"]
    assert [i.id for i in store.incidents()] == ["INC-2", "INC-1"]


def test_timeline_events_keep_their_order(store):
    for kind in ("opened", "notified", "acked"):
        store.add_event(Event("INC-1", T0, kind, actor="张三" if kind == "acked" else None))
    assert [e.kind for e in store.events("INC-1")] == ["opened", "notified", "acked"]


def test_a_delivery_can_be_claimed_only_once(store):
    assert store.claim_delivery("INC-1", "0.0", "email", T0)
    assert not store.claim_delivery("INC-1", "0.0", "email", T0)
    store.finish_delivery("INC-1", "0.0", "email", "sent", T0, attempts=1)
    [row] = store.deliveries("INC-1")
    assert (row.status, row.attempts) == ("sent", 1)


def test_named_state_survives_reopening(store):
    store.put_state("spike:小米", {"baseline": [1, 2, 3]})
    assert store.get_state("spike:小米") == {"baseline": [1, 2, 3]}
    assert store.get_state("missing") is None
