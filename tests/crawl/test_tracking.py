"""The memory between crawls: which threads to walk, from where, and when to look again."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from monitor.crawl.state import CrawlState, SEEN_LIMIT
from monitor.crawl.tracking import Schedule, ThreadBook
from monitor.mention import Engagement, Mention

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
SCHEDULE = Schedule(first=timedelta(minutes=10), longest=timedelta(hours=1), keep=timedelta(days=7))


def book_at(now: datetime, rows: list | None = None) -> ThreadBook:
    return ThreadBook.load(rows or [], SCHEDULE, now)


def walked(book: ThreadBook, key: str, last_url: str, mark: str | None = "3", new: int = 0) -> list[dict]:
    visit = book.plan(key, f"https://bbs/t/{key}", mark)
    visit.new = new
    book.visited(visit, last_url)
    return book.to_list()


def test_a_new_thread_is_walked_from_its_first_page():
    visit = book_at(T0).plan("101", "https://bbs/t/101", "3")
    assert (visit.reason, visit.url) == ("new", "https://bbs/t/101")


def test_a_thread_whose_reply_count_moved_is_walked_from_where_the_last_walk_ended():
    rows = walked(book_at(T0), "101", "https://bbs/t/101?page=4")
    visit = book_at(T0 + timedelta(minutes=1), rows).plan("101", "https://bbs/t/101", "4")
    assert (visit.reason, visit.url) == ("changed", "https://bbs/t/101?page=4")


def test_an_unchanged_thread_waits_for_its_recheck_and_each_quiet_check_doubles_the_wait_up_to_the_longest():
    rows = walked(book_at(T0), "101", "https://bbs/t/101")
    waits, now = [], T0
    for _ in range(4):
        assert book_at(now + timedelta(seconds=1), rows).plan("101", "https://bbs/t/101", "3") is None
        entry = rows[0]
        now = datetime.fromisoformat(entry["next"])
        waits.append(timedelta(seconds=entry["every"]))
        rows = walked(book_at(now, rows), "101", "https://bbs/t/101")
    assert waits == [timedelta(minutes=10), timedelta(minutes=20), timedelta(minutes=40), timedelta(hours=1)]


def test_finding_something_new_brings_the_next_check_back_to_the_shortest_wait():
    rows = walked(book_at(T0), "101", "u")
    rows = walked(book_at(T0 + timedelta(minutes=10), rows), "101", "u")
    assert rows[0]["every"] == 1200  # quiet
    rows = walked(book_at(T0 + timedelta(minutes=30), rows), "101", "u", mark="9", new=2)
    assert rows[0]["every"] == 600


def test_known_threads_no_list_showed_are_due_once_their_time_has_come_soonest_first():
    book = book_at(T0)
    for key, minutes in (("a", 0), ("b", 5)):
        book.now = T0 - timedelta(minutes=minutes)
        walked(book, key, f"https://bbs/t/{key}")
    later = book_at(T0 + timedelta(minutes=9), book.to_list())
    assert [v.key for v in later.due()] == ["b"]
    assert later.due() == []  # planned once per crawl


def test_threads_quiet_for_longer_than_the_keep_time_are_forgotten():
    rows = walked(book_at(T0), "101", "u")
    assert book_at(T0 + timedelta(days=8), rows).to_list() == []


def test_a_failed_walk_of_a_new_thread_is_tried_again_next_crawl_from_the_start():
    book = book_at(T0)
    book.failed(book.plan("101", "https://bbs/t/101", "3"))
    visit = book_at(T0 + timedelta(minutes=1), book.to_list()).plan("101", "https://bbs/t/101", "3")
    assert visit.reason == "changed" and visit.url == "https://bbs/t/101"


def mention(id_: str, likes: int = 0) -> Mention:
    return Mention(id=id_, platform="bbs", source="bbs", url="u", text="星河", published_at=T0, crawled_at=T0,
                   engagement=Engagement(likes=likes))


def test_a_mention_is_new_once_then_the_same_and_changed_when_its_engagement_moves():
    state = CrawlState.load(None, SCHEDULE, T0)
    assert [state.classify(mention("a")), state.classify(mention("a")), state.classify(mention("a", 5))] == \
        ["new", "same", "changed"]


def test_the_state_is_plain_json_with_no_mention_id_as_a_key_and_keeps_the_most_recently_seen():
    state = CrawlState.load(None, SCHEDULE, T0)
    for i in range(SEEN_LIMIT + 10):
        state.classify(mention(f"bbs:{i}"))
    state.classify(mention("bbs:0"))  # seen again: it stays
    data = json.loads(json.dumps(state.to_dict()))
    assert set(data) == {"seen", "threads"} and len(data["seen"]) == SEEN_LIMIT
    reloaded = CrawlState.load(data, SCHEDULE, T0)
    assert reloaded.has_seen("bbs:0") and not reloaded.has_seen("bbs:1")
