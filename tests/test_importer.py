"""Mention records from JSON lines: every bad record is named with its key, never given an invented time."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from monitor.importer import BadRecord, read_jsonl, to_mention

GOOD = {"source": "weibo", "platform": "weibo", "text": "小米 续航", "published_at": "2026-11-11T00:03:00+08:00",
        "author": {"name": "网友", "followers": 3200}, "engagement": {"likes": 12}, "sentiment_label": "negative"}


def test_a_record_keeps_its_own_time_and_gets_a_stable_id():
    m = to_mention(GOOD)
    assert m.published_at == datetime(2026, 11, 10, 16, 3, tzinfo=timezone.utc) == m.crawled_at
    assert m.id == to_mention(dict(GOOD)).id and m.id.startswith("weibo:h")
    assert (m.author.followers, m.engagement.likes, m.sentiment_label) == (3200, 12, "negative")


@pytest.mark.parametrize("change, key", [
    ({"published_at": None}, "published_at"),
    ({"published_at": "昨天"}, "published_at"),
    ({"text": ""}, "text"),
    ({"source": 3}, "source"),
    ({"author": {"followers": -1}}, "author.followers"),
    ({"author": {"followers": 10**30}}, "author.followers"),
    ({"engagement": {"likes": "many"}}, "engagement.likes"),
    ({"sentiment_label": "angry"}, "sentiment_label"),
    ({"sentiment": 7}, "sentiment"),
])
def test_a_bad_record_is_refused_naming_its_key(change, key):
    with pytest.raises(BadRecord) as error:
        to_mention({**GOOD, **change})
    assert str(error.value).startswith(key + ":")


def test_lines_that_are_not_json_are_numbered_and_blank_lines_skipped():
    rows = list(read_jsonl(['{"a": 1}', "", "{oops", '{"b": 2}']))
    assert [n for n, _ in rows] == [1, 3, 4]
    assert isinstance(rows[1][1], BadRecord) and rows[2][1] == {"b": 2}
