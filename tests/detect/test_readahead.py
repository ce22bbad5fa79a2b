"""Read-ahead: a rule cycle asks at once what the one before read, and finds what it would have found alone."""

from __future__ import annotations

from datetime import timedelta

from monitor.detect.engine import evaluate_rules
from monitor.detect.readahead import ReadAhead
from monitor.store.sqlite import SqliteStore
from tests.detect.mentions import T0, hourly_noise, mention, rule, settings_for

NOW = T0 + timedelta(days=10)


class Counting(SqliteStore):
    """The embedded store, recording which reads the rules made of it."""

    def __init__(self, path) -> None:
        super().__init__(path)
        self.calls: list[str] = []

    def count(self, query):
        self.calls.append("count")
        return super().count(query)

    def top_terms(self, query, limit=10):
        self.calls.append("top_terms")
        return super().top_terms(query, limit)

    def term_counts(self, query, terms):
        self.calls.append("term_counts")
        return super().term_counts(query, terms)

    def read_many(self, reads):
        self.calls.append("read_many")
        return [getattr(SqliteStore, name)(self, *args) for name, args in reads]

    def get_state(self, key):
        self.calls.append("get_state")
        return super().get_state(key)

    def get_states(self, keys):
        self.calls.append("get_states")
        return super().get_states(keys)


def rules():
    return (rule("spike", windows=["15m", "1h"], min_count=5, ratio=3, p_value=0.001, warmup="2d"),
            rule("keyword", against="baseline", windows=["15m", "1h"], min_count=4, ratio=3, p_value=0.001),
            rule("sentiment_share", window="1h", min_volume=5, share=0.5, lift=0.3, history="7d", warmup="2d"),
            rule("threshold", min_count=3, window="30m"),
            rule("new_topic", window="1h", baseline="3d", min_count=3, ratio=3))


def crisis_on_top_of_noise():
    quiet = hourly_noise(NOW - timedelta(days=9), 24 * 9, 2, label="neutral")
    burst = [mention(NOW - timedelta(minutes=14 - i // 3), crisis=("爆炸",), text=f"星河手机 爆炸 {i}")
             for i in range(40)]
    return quiet + burst


def test_a_cycle_asks_at_once_what_the_last_one_read_and_finds_what_it_would_alone(tmp_path):
    store = Counting(tmp_path / "ahead.db")
    alone = Counting(tmp_path / "alone.db")
    settings = settings_for(*rules())
    data = crisis_on_top_of_noise()
    for s in (store, alone):
        s.upsert(data)
    ahead = ReadAhead()
    for minutes in (3, 2):  # the baselines are learnt in the first cycle, by both stores alike
        evaluate_rules(settings, store, NOW - timedelta(minutes=minutes), ahead)
        evaluate_rules(settings, alone, NOW - timedelta(minutes=minutes))
    store.calls.clear()
    # within the hour: the hourly normal share (recounted when the hour turns) is foreseen too
    found = evaluate_rules(settings, store, NOW - timedelta(minutes=1), ahead)
    expected = evaluate_rules(settings, alone, NOW - timedelta(minutes=1))
    assert [(f.rule, f.brand, f.title, f.figures) for f in found] == \
        [(f.rule, f.brand, f.title, f.figures) for f in expected]
    assert {f.rule for f in found} >= {"test_spike", "test_sentiment_share", "test_threshold"}
    # every count, top-words and term-count read and every state of the cycle came in one request each
    # (the findings' own evidence, top words of their window and examples, is read when they fire)
    assert store.calls == ["read_many", "get_states"]


def test_a_state_written_during_a_cycle_is_what_a_later_read_of_it_gets(tmp_path):
    store = Counting(tmp_path / "s.db")
    store.put_state("k", {"v": 1})
    ahead = ReadAhead()
    reads = ahead.begin(store, NOW)
    assert reads.get_state("k") == {"v": 1}
    ahead.end(reads, NOW)
    reads = ahead.begin(store, NOW + timedelta(minutes=1))
    reads.put_state("k", {"v": 2})
    assert reads.get_state("k") == {"v": 2} and store.get_state("k") == {"v": 2}


def test_a_window_the_last_cycle_did_not_read_is_counted_by_the_store(tmp_path):
    store = Counting(tmp_path / "w.db")
    store.upsert([mention(NOW - timedelta(minutes=m)) for m in range(1, 50)])
    ahead = ReadAhead()
    settings = settings_for(rule("threshold", min_count=3, window="30m"))
    evaluate_rules(settings, store, NOW, ahead)
    wider = settings_for(rule("threshold", min_count=3, window="45m"))
    store.calls.clear()
    [finding] = evaluate_rules(wider, store, NOW + timedelta(minutes=1), ahead)
    assert finding.figures["count"] == 45 - 1
    # the new window, for each of the two brands; then the finding's top words, of a window never read before
    assert store.calls == ["read_many", "count", "top_terms", "count"]
