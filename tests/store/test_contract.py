"""The store contract: what the rules, the policy and the CLI rely on, for every backend."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta

from monitor.config.model import SlaTier
from monitor.incident import Event
from monitor.reply.queue import tier_for
from monitor.store.base import Query
from tests.store.records import T0, incident, mention


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


def test_a_crisis_filter_with_a_brand_keeps_only_crises_said_of_that_brand(store):
    """"瑞幸起火了，还是小米好" names both brands, but the fire is 瑞幸's (nlp/attribution.py)."""
    comparison = mention(1, 0, text="瑞幸起火了 还是 小米 好", crisis=["起火"])
    comparison.brands, comparison.crisis_brands = ["小米", "瑞幸"], ["瑞幸"]
    store.upsert([comparison, mention(2, 1, crisis=["召回"]), mention(3, 2, brand="瑞幸")])
    window = Query(start=T0, end=T0 + timedelta(hours=1))
    assert sorted(m.id for m in store.find(replace(window, brand="小米", crisis=True))) == ["forum:2"]
    assert [m.id for m in store.find(replace(window, brand="瑞幸", crisis=True))] == ["forum:1"]
    assert store.count(replace(window, crisis=True)) == 2
    assert store.count(replace(window, brand="小米", crisis=True, unique=True)) == 1
    [back] = store.find(Query(ids=("forum:1",)))
    assert (back.crisis_terms, back.crisis_brands) == (["起火"], ["瑞幸"])


def test_a_category_filter_keeps_mentions_in_any_of_the_categories(store):
    store.upsert([mention(1, 0, categories=["安全", "质量"]), mention(2, 1, categories=["物流"]), mention(3, 2),
                  mention(4, 3, categories=["服务/售后"])])
    assert store.count(Query(categories=("安全",))) == 1
    assert sorted(m.id for m in store.find(Query(categories=("安全", "物流")))) == ["forum:1", "forum:2"]
    assert store.count(Query(categories=("食品安全",))) == 0
    [back] = store.find(Query(categories=("服务/售后",)))
    assert back.categories == ["服务/售后"]


def test_known_time_leaves_out_mentions_whose_time_is_unknown_in_counts_histograms_and_finds(store):
    undated = [mention(n, 30) for n in (3, 4, 5)]  # a backlog without times, stored at the crawl that saw it
    for m in undated:
        m.time_unknown = True
    store.upsert([mention(1, 0), mention(2, 35, crisis=["爆炸"]), *undated])
    dated = Query(brand="小米", known_time=True)
    hour = Query(brand="小米", start=T0, end=T0 + timedelta(hours=1))
    assert (store.count(Query(brand="小米")), store.count(dated)) == (5, 2)
    assert store.count(Query(known_time=True, sentiments=("negative",))) == 2
    assert store.histogram(replace(hour, known_time=True), timedelta(minutes=30)) == [(T0, 1), (T0 + timedelta(minutes=30), 1)]
    assert store.histogram(hour, timedelta(minutes=30)) == [(T0, 1), (T0 + timedelta(minutes=30), 4)]
    assert sorted(m.id for m in store.find(replace(dated, start=T0 + timedelta(minutes=20)))) == ["forum:2"]
    assert store.count(replace(dated, unique=True)) == 2


def test_authors_counts_distinct_authors_and_those_without_an_id_as_one(store):
    posts = [mention(n, n) for n in range(1, 8)]
    for m, who in zip(posts, ("a", "a", "a", "b", "c", None, None)):  # one account posting three times
        m.author.id = who
    store.upsert(posts)
    query = Query(brand="小米", authors=True, start=T0, end=T0 + timedelta(minutes=30))
    assert (store.count(query), store.count(replace(query, authors=False))) == (4, 7)
    assert store.histogram(query, timedelta(minutes=3)) == [(T0, 1), (T0 + timedelta(minutes=3), 3),
                                                             (T0 + timedelta(minutes=6), 1)] + \
        [(T0 + timedelta(minutes=m), 0) for m in range(9, 30, 3)]


def test_mentions_round_trip_with_aware_times(store):
    original = mention(7, 3)
    store.upsert([original])
    [back] = store.find(Query())
    assert back == original
    assert back.published_at.tzinfo is not None


def test_a_mention_whose_time_is_unknown_keeps_its_flag_in_every_backend(store):
    flagged, plain = mention(8, 4), mention(9, 5)
    flagged.time_unknown = True
    store.upsert([flagged, plain])
    back = {m.id: m for m in store.find(Query())}
    assert (back["forum:8"].time_unknown, back["forum:9"].time_unknown) == (True, False)


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


def test_a_mention_republished_in_another_month_is_still_stored_once(store):
    store.upsert([mention(1, 0)])
    moved = mention(1, 60 * 24 * 10)  # ten days later: December
    result = store.upsert([moved])
    assert (result.new, result.updated) == (0, 1)
    assert store.count(Query()) == 1
    assert [m.published_at for m in store.find(Query())] == [moved.published_at]


def test_keyword_and_reach_filters(store):
    loud = mention(1, 0, text="小米 电池 鼓包 了", likes=500)
    loud.author.followers = 2_000_000
    store.upsert([loud, mention(2, 1, likes=3), mention(3, 2, text="华为 电池 还行")])
    assert store.count(Query(keywords=("鼓包",))) == 1
    assert store.count(Query(keywords=("鼓包", "华为"))) == 2
    assert store.count(Query(min_followers=1_000_000)) == 1
    assert store.count(Query(min_engagement=4)) == 1


def test_histogram_buckets_align_to_the_epoch_not_to_the_start(store):
    store.upsert([mention(1, 3), mention(2, 14)])
    buckets = store.histogram(Query(start=T0 + timedelta(minutes=5), end=T0 + timedelta(minutes=20)),
                              timedelta(minutes=10))
    assert buckets == [(T0, 0), (T0 + timedelta(minutes=10), 1)]


def test_the_notification_log_lists_deliveries_in_claim_order(store):
    for channel in ("sms", "email", "console"):
        assert store.claim_delivery("INC-1", "0.0", channel, T0)
    store.claim_delivery("INC-2", "0.0", "email", T0)
    assert [d.channel for d in store.deliveries("INC-1")] == ["sms", "email", "console"]
    assert len(store.deliveries()) == 4


def test_unique_counts_stories_not_mentions(store):
    reposts = [mention(n, n) for n in range(1, 4)]
    for m in reposts:
        m.cluster_id = "story-1"
    store.upsert([*reposts, mention(9, 12)])
    assert store.count(Query()) == 4
    assert store.count(Query(unique=True)) == 2
    assert store.histogram(Query(start=T0, end=T0 + timedelta(minutes=20), unique=True), timedelta(minutes=10)) == [
        (T0, 1), (T0 + timedelta(minutes=10), 1)]


# one query semantics (monitor/store/matching.py): the same keyword finds the same mentions everywhere
def test_a_latin_keyword_matches_whole_words_not_parts_of_words(store):
    store.upsert([mention(1, 0, text="the whole family loves it"), mention(2, 1, text="小米 MI 11 发布")])
    assert [m.id for m in store.find(Query(keywords=("mi",)))] == ["forum:2"]


def test_a_chinese_keyword_matches_across_spaces_and_punctuation_but_not_apart(store):
    store.upsert([mention(1, 0, text="手机发 热，很烫"), mention(2, 1, text="发了一条，热搜"), mention(3, 2, text="发热严重")])
    assert sorted(m.id for m in store.find(Query(keywords=("发热",)))) == ["forum:1", "forum:3"]


def test_keywords_fold_case_and_full_width_forms(store):
    store.upsert([mention(1, 0, text="ＭＩ手机 太 卡"), mention(2, 1, text="Mi Band 不错"), mention(3, 2, text="普通")])
    assert store.count(Query(keywords=("mi",))) == 2
    assert store.count(Query(keywords=("MI BAND",))) == 1


def test_a_keyword_of_only_punctuation_matches_nothing(store):
    store.upsert([mention(1, 0, text="!!! ？？？")])
    assert store.count(Query(keywords=("!!!",))) == 0


def test_search_needs_every_phrase_in_the_text_or_the_title(store):
    titled = mention(1, 0, text="电池 鼓包 了")
    titled.title = "小米 售后 投诉"
    store.upsert([titled, mention(2, 1, text="电池 还行"), mention(3, 2, text="售后 电池鼓包")])
    assert sorted(m.id for m in store.find(Query(text="电池 鼓包"))) == ["forum:1", "forum:3"]
    assert [m.id for m in store.find(Query(text="售后投诉"))] == ["forum:1"]
    assert store.count(Query(text="鼓包电池")) == 0


# top words and term counts: exact, over exactly the window
def test_top_terms_are_exact_and_ordered_by_count_then_word(store):
    store.upsert([mention(n, n) for n in range(1, 8)])  # keywords 发热 and 词0/词1 alternating
    assert store.top_terms(Query(brand="小米"), 3) == [("发热", 7), ("词1", 4), ("词0", 3)]


def test_term_counts_count_mentions_whose_keywords_include_each_term(store):
    store.upsert([mention(n, n * 30) for n in range(1, 9)])  # one every 30 minutes over four hours
    window = Query(brand="小米", start=T0 + timedelta(minutes=45), end=T0 + timedelta(minutes=195))
    assert store.term_counts(window, ["发热", "词0", "没有"]) == {"发热": 5, "词0": 3, "没有": 0}


def test_window_counts_agree_with_the_mentions_whatever_the_hour_edges(store):
    """Whole hours and partial hours at the edges add up to the same figures as the mentions themselves."""
    rows = [mention(n, n * 7, label=("negative", "neutral", "positive")[n % 3]) for n in range(1, 60)]
    store.upsert(rows)
    for start, end in ((0, 413), (13, 181), (60, 120), (59, 61), (200, 200)):
        lo, hi = T0 + timedelta(minutes=start), T0 + timedelta(minutes=end)
        inside = [m for m in rows if lo <= m.published_at < hi]
        negative = sum(m.sentiment_label == "negative" for m in inside)
        assert store.count(Query(brand="小米", start=lo, end=hi)) == len(inside)
        assert store.count(Query(brand="小米", sentiments=("negative",), start=lo, end=hi)) == negative
        assert store.count(Query(sources=("bbs",), start=lo, end=hi)) == len(inside)
        if end > start:
            assert dict(store.top_terms(Query(brand="小米", start=lo, end=hi), 5)).get("发热", 0) == len(inside)
            assert store.term_counts(Query(brand="小米", sentiments=("negative",), start=lo, end=hi),
                                     ["发热"]) == {"发热": negative}


def test_an_update_moves_a_mention_between_hours_and_sentiments_in_every_figure(store):
    store.upsert([mention(1, 10), mention(2, 20)])
    store.upsert([mention(1, 200, label="positive")])  # re-crawled: another hour, another label
    day = Query(brand="小米", start=T0, end=T0 + timedelta(days=1))
    assert store.count(day) == 2
    assert store.count(Query(brand="小米", sentiments=("negative",), start=T0, end=T0 + timedelta(days=1))) == 1
    hours = store.histogram(Query(brand="小米", start=T0, end=T0 + timedelta(hours=4)), timedelta(hours=1))
    assert [n for _, n in hours] == [1, 0, 0, 1]


def test_a_mention_with_two_brands_counts_once_for_each_and_once_in_all(store):
    both = mention(1, 0)
    both.brands = ["小米", "华为"]
    store.upsert([both, mention(2, 1, brand="华为")])
    assert (store.count(Query(brand="小米")), store.count(Query(brand="华为")), store.count(Query())) == (1, 2, 2)


def _varied(n: int):
    """Mention n of a mixed stream: three sentiments, two platforms, categories, regions, authors and stories."""
    m = mention(n, n * 7, label=("negative", "neutral", "positive")[n % 3],
                categories=[["质量"], ["物流", "质量"], [], ["安全"]][n % 4])
    m.platform = ("weibo", "forum")[n % 2]
    m.ip_location = (None, "广东", "北京")[n % 3]
    m.author.name, m.author.followers = f"用户{n % 5}", (None if n % 5 == 0 else n * 10)
    m.cluster_id = f"story{n % 4}" if n % 6 else None
    m.engagement.likes = n % 9
    return m


def test_breakdowns_by_platform_category_and_region_agree_with_the_mentions_whatever_the_edges(store):
    rows = [_varied(n) for n in range(1, 60)]
    store.upsert(rows)
    for start, end in ((0, 413), (13, 181), (59, 61)):
        lo, hi = T0 + timedelta(minutes=start), T0 + timedelta(minutes=end)
        inside = [m for m in rows if lo <= m.published_at < hi]
        negative = [m for m in inside if m.sentiment_label == "negative"]
        window = Query(brand="小米", start=lo, end=hi)

        def ranked(values):
            return sorted(Counter(values).items(), key=lambda p: (-p[1], p[0]))

        assert store.facet_counts(window, "platform") == ranked(m.platform for m in inside)
        assert store.facet_counts(window, "region") == ranked(m.ip_location for m in inside if m.ip_location)
        assert store.facet_counts(replace(window, sentiments=("negative",)), "category") == \
            ranked(c for m in negative for c in m.categories)
        assert store.facet_counts(Query(start=lo, end=hi), "category", limit=1) == \
            ranked(c for m in inside for c in m.categories)[:1]
        assert store.count(replace(window, categories=("质量",))) == sum("质量" in m.categories for m in inside)


def test_a_recrawl_that_changes_a_category_moves_its_count(store):
    store.upsert([mention(1, 10, categories=["质量"])])
    store.upsert([mention(1, 10, categories=["物流"])])
    day = Query(brand="小米", start=T0, end=T0 + timedelta(days=1))
    assert store.facet_counts(day, "category") == [("物流", 1)]
    assert (store.count(replace(day, categories=("质量",))), store.count(replace(day, categories=("物流",)))) == (0, 1)


def test_top_authors_rank_the_most_followed_first_then_the_most_active(store):
    rows = [_varied(n) for n in range(1, 30)]
    store.upsert(rows)
    top = store.top_authors(Query(brand="小米"), limit=3)
    followers = {}
    for m in rows:
        if m.author.followers is not None:
            followers[m.author.name] = max(followers.get(m.author.name, 0), m.author.followers)
    counts = Counter(m.author.name for m in rows)
    expected = sorted(counts, key=lambda a: (-followers.get(a, 0), -counts[a], a))[:3]
    assert top == [(a, counts[a], followers.get(a)) for a in expected]


def test_top_authors_count_every_mention_of_a_big_account_and_break_ties_at_the_cut_by_activity(store):
    """An author's rank is their largest follower count with all their mentions counted, even mentions made
    with fewer followers; authors tied with the last place are ranked by how much they posted."""
    rows = []
    for n in range(1, 121):
        m = mention(n, n)
        name, followers = [("大V", 90_000 if n == 7 else 10), ("甲", 500), ("乙", 500), ("丙", 500), ("丁", None),
                           (f"散户{n}", n % 4 * 100)][n % 6 if n != 7 else 0]
        m.author.name, m.author.followers = name, followers
        rows.append(m)
    store.upsert(rows)
    followers, counts = {}, Counter(m.author.name for m in rows)
    for m in rows:
        if m.author.followers is not None:
            followers[m.author.name] = max(followers.get(m.author.name, 0), m.author.followers)
    expected = sorted(counts, key=lambda a: (-followers.get(a, 0), -counts[a], a))
    for limit in (1, 2, 3, 6):
        assert store.top_authors(Query(brand="小米"), limit=limit) == [
            (a, counts[a], followers.get(a)) for a in expected[:limit]]


def test_top_stories_give_each_storys_most_engaged_mention_and_its_size(store):
    rows = [_varied(n) for n in range(1, 40)]
    store.upsert(rows)
    negative = [m for m in rows if m.sentiment_label == "negative"]
    stories: dict[str, list] = {}
    for m in negative:
        stories.setdefault(m.cluster_id or m.id, []).append(m)
    engaged = {k: max(ms, key=lambda m: (m.engagement.likes, m.published_at)) for k, ms in stories.items()}
    ranked = sorted(stories, key=lambda k: (-len(stories[k]), -engaged[k].engagement.likes, k))[:3]
    found = store.top_stories(Query(brand="小米", sentiments=("negative",)), limit=3)
    assert [(m.id, n) for m, n in found] == [(engaged[k].id, len(stories[k])) for k in ranked]


def test_find_fields_reads_fields_of_the_newest_mentions_first(store):
    rows = [_varied(n) for n in range(1, 6)]
    store.upsert(rows)
    found = store.find_fields(Query(brand="小米", sentiments=("negative",)), ("id", "published_at", "author.followers",
                                                                             "content_type"), limit=5)
    negative = sorted((m for m in rows if m.sentiment_label == "negative"), key=lambda m: m.published_at, reverse=True)
    assert found == [(m.id, m.published_at.isoformat(), m.author.followers, m.content_type) for m in negative]


# the alerting lease: one leader among daemons sharing the store
def test_a_free_lease_goes_to_the_first_daemon_and_is_refused_to_the_second(store):
    assert store.take_lease("alerting", "a", timedelta(seconds=20), T0) == 1
    assert store.take_lease("alerting", "b", timedelta(seconds=20), T0 + timedelta(seconds=1)) is None
    assert store.take_lease("alerting", "a", timedelta(seconds=20), T0 + timedelta(seconds=5)) == 1  # renewed


def test_an_expired_lease_changes_hands_with_a_larger_fencing_token(store):
    store.take_lease("alerting", "a", timedelta(seconds=20), T0)
    assert store.take_lease("alerting", "b", timedelta(seconds=20), T0 + timedelta(seconds=21)) == 2
    assert store.take_lease("alerting", "a", timedelta(seconds=20), T0 + timedelta(seconds=22)) is None
    assert store.take_lease("alerting", "b", timedelta(seconds=20), T0 + timedelta(seconds=30)) == 2


def test_of_daemons_racing_for_a_free_lease_exactly_one_wins(store):
    import threading

    won, start = [], threading.Barrier(6)

    def race(holder: str) -> None:
        start.wait(30)
        if store.take_lease("alerting", holder, timedelta(seconds=20), T0) is not None:
            won.append(holder)

    racers = [threading.Thread(target=race, args=(f"d{n}",)) for n in range(6)]
    for r in racers:
        r.start()
    for r in racers:
        r.join(60)
    assert len(won) == 1


def test_a_complaint_keeps_its_status_and_a_recrawl_moves_it_on(store):
    complaint = mention(1, 0)
    complaint.status = "处理中"
    store.upsert([complaint, mention(2, 1)])
    complaint.status = "已完成"
    store.upsert([complaint])
    assert {m.id: m.status for m in store.find(Query())} == {"forum:1": "已完成", "forum:2": None}


def test_a_stale_leaders_fenced_writes_are_refused_once_another_daemon_took_the_lease(store):
    import pytest

    from monitor.store.base import Fence, FencedOff

    old = Fence("alerting", store.take_lease("alerting", "a", timedelta(seconds=20), T0))
    new = Fence("alerting", store.take_lease("alerting", "b", timedelta(seconds=20), T0 + timedelta(seconds=21)))
    with pytest.raises(FencedOff):
        store.claim_delivery("INC-1", "0.0", "hook#0", T0, fence=old)
    with pytest.raises(FencedOff):
        store.save_incident(incident(1), fence=old)
    assert store.deliveries("INC-1") == [] and store.get_incident("INC-1") is None
    assert store.claim_delivery("INC-1", "0.0", "hook#0", T0, fence=new) is True
    store.save_incident(incident(1), fence=new)
    assert store.get_incident("INC-1").id == "INC-1"
    assert store.claim_delivery("INC-1", "0.0", "hook#0", T0) is False  # a person's action: unfenced, still once


def test_states_under_a_prefix_list_every_daemons_status_and_nothing_else(store):
    store.put_state("daemon:status:host-a:/srv/a", {"pid": 1})
    store.put_state("daemon:status:host-b:/srv/b", {"pid": 2})
    store.put_state("daemon:reload", {"ok": True})
    assert store.states("daemon:status:") == {"daemon:status:host-a:/srv/a": {"pid": 1},
                                              "daemon:status:host-b:/srv/b": {"pid": 2}}


def test_counts_of_many_queries_agree_with_each_count_in_order(store):
    rows = [_varied(n) for n in range(1, 40)]
    store.upsert(rows)
    queries = [Query(brand="小米"), Query(brand="小米", sentiments=("negative",), start=T0, end=T0 + timedelta(hours=2)),
               Query(brand="华为"), Query(brand="小米", unique=True), Query(brand="小米", authors=True),
               Query(platforms=("weibo",), categories=("质量",)), Query(brand="小米", keywords=("发热",))]
    expected = [store.count(q) for q in queries]
    assert store.counts(queries) == expected
    assert expected[0] == len(rows) and expected[2] == 0
    assert store.counts([]) == []


def test_named_states_are_read_many_at_once_and_missing_keys_are_left_out(store):
    for n in range(5):
        store.put_state(f"mark:{n}", {"n": n})
    assert store.get_states([f"mark:{n}" for n in (4, 0, 9)]) == {"mark:4": {"n": 4}, "mark:0": {"n": 0}}


def test_many_reads_at_once_agree_with_each_read_in_order(store):
    rows = [_varied(n) for n in range(1, 40)]
    store.upsert(rows)
    window = Query(brand="小米", start=T0 + timedelta(minutes=30), end=T0 + timedelta(hours=3))
    reads = [("count", (window,)), ("top_terms", (window, 3)), ("term_counts", (window, ("发热", "没有"))),
             ("term_counts", (window, ())), ("facet_counts", (window, "platform")), ("count", (Query(unique=True),)),
             ("top_authors", (window, 3)), ("facet_counts", (window, "category", 2))]
    expected = [getattr(store, name)(*args) for name, args in reads]
    assert store.read_many(reads) == expected
    assert expected[2] == {"发热": expected[0], "没有": 0} and expected[3] == {}


TIERS = (SlaTier(within=timedelta(minutes=30), min_followers=300),
         SlaTier(within=timedelta(hours=2), platforms=("weibo",), content_types=("comment", "reply")),
         SlaTier(within=timedelta(hours=4), platforms=("forum",)))


def _sla_expected(rows, query: Query, now):
    """What sla_counts must give, from the reply queue's own tier rule (monitor/reply/queue.py)."""
    out = [[0, 0] for _ in TIERS]
    for m in rows:
        if m.sentiment_label not in query.sentiments or not query.start <= m.published_at < query.end:
            continue
        tier = tier_for(m, TIERS)
        if tier is not None:
            k = TIERS.index(tier)
            out[k][0] += 1
            out[k][1] += now >= m.published_at + tier.within
    return [tuple(x) for x in out]


def test_sla_counts_file_each_mention_under_its_first_tier_and_count_those_past_their_time(store):
    rows = [_varied(n) for n in range(1, 60)]
    for n, m in enumerate(rows, 1):
        m.content_type = ("post", "comment", "reply")[n // 3 % 3]
    store.upsert(rows)
    now = T0 + timedelta(minutes=300)
    for start, end in ((0, 413), (13, 181), (59, 61)):
        query = Query(brand="小米", sentiments=("negative",), start=T0 + timedelta(minutes=start),
                      end=T0 + timedelta(minutes=end))
        assert store.sla_counts(query, TIERS, now) == _sla_expected(rows, query, now)
    week = Query(brand="小米", sentiments=("negative",), start=T0, end=T0 + timedelta(days=1))
    # unknown followers are 0, below the first tier's floor (forum:30, forum:45); a Weibo post is in no tier
    assert store.sla_counts(week, TIERS, now) == [(8, 2), (4, 3), (6, 1)]
    assert store.sla_counts(replace(week, brand="华为"), TIERS, now) == [(0, 0)] * 3
    assert store.read_many([("sla_counts", (week, TIERS, now)), ("count", (week,))]) == [[(8, 2), (4, 3), (6, 1)], 19]


def test_ids_threads_and_authors_pick_mentions_in_every_read(store):
    rows = [_varied(n) for n in range(1, 20)]
    for m in rows:
        m.thread_id = f"forum:{m.engagement.likes % 3}"
        m.author.id = f"u{int(m.id.split(':')[1]) % 4}"
    store.upsert(rows)
    window = Query(brand="小米", start=T0, end=T0 + timedelta(days=1))
    picked = replace(window, ids=("forum:3", "forum:4", "forum:99"))
    assert sorted(m.id for m in store.find(picked)) == ["forum:3", "forum:4"]
    assert store.count(picked) == 2 and store.count(replace(picked, sentiments=("neutral",))) == 1
    in_thread = replace(window, threads=("forum:1",))
    assert sorted(store.find_fields(in_thread, ("id",), limit=50)) == sorted(
        (m.id,) for m in rows if m.thread_id == "forum:1")
    by = replace(window, written_by=("用户2", "U3"))  # a name or an id, whole, case ignored
    expected = {m.id for m in rows if m.author.name == "用户2" or m.author.id == "u3"}
    assert {m.id for m in store.find(by, limit=50)} == expected and store.count(by) == len(expected)
    assert store.count(replace(window, written_by=("用户",))) == 0
    assert store.count(replace(window, ids=("forum:5",), threads=("forum:2",))) == int(rows[4].thread_id == "forum:2")


def test_an_account_name_matches_whatever_its_latin_case_but_only_whole(store):
    rows = [mention(n, n) for n in range(1, 6)]
    for m, (name, ident) in zip(rows, [("XingHe_Official", "UID7"), ("xinghe_official", None), ("星河Mi", "x"),
                                       ("xinghe_official_fan", "uid77"), ("Ωmega", None)]):
        m.author.name, m.author.id = name, ident
    store.upsert(rows)
    found = store.find(Query(written_by=("XINGHE_official", "星河mI", "ωmega")), limit=10)
    assert sorted(m.id for m in found) == ["forum:1", "forum:2", "forum:3"]  # ASCII letters only, as matching.handle
    assert [m.id for m in store.find(Query(written_by=("uid7",)))] == ["forum:1"]


def test_pages_walk_every_matching_mention_oldest_first_ties_by_id_whatever_the_page_size(store):
    rows = [mention(n, n // 3, label=("negative", "neutral")[n % 5 == 0]) for n in range(1, 32)]  # 3 per minute
    rows += [mention(n, n, brand="华为") for n in range(40, 45)]
    store.upsert(rows)
    query = Query(brand="小米", sentiments=("negative",), start=T0 + timedelta(minutes=1), end=T0 + timedelta(hours=1))
    wanted = [m.id for m in sorted(rows, key=lambda m: (m.published_at, m.id)) if "小米" in m.brands
              and m.sentiment_label == "negative" and query.start <= m.published_at < query.end]
    assert len(wanted) == 23
    for size in (1, 4, 23, 50):
        pages = list(store.pages(query, size))
        assert [m.id for page in pages for m in page] == wanted
        assert [len(p) for p in pages[:-1]] == [size] * (len(pages) - 1) and 0 < len(pages[-1]) <= size
    first, after = store.find_page(query, 4)
    rest, end = store.find_page(query, 100, after)
    assert [m.id for m in first + rest] == wanted and end is None
    assert [m.id for page in store.pages(Query(), 7) for m in page] == [
        m.id for m in sorted(rows, key=lambda m: (m.published_at, m.id))]
    by_id = {m.id: m for m in rows}
    assert [row for page in store.pages(query, 4, ("published_at", "id", "author.followers", "content_type"))
            for row in page] == [(by_id[i].published_at.isoformat(), i, by_id[i].author.followers,
                                  by_id[i].content_type) for i in wanted]  # the same walk, those fields only
