"""The spool keeps mentions on disk and hands them back in order, each exactly once it was handled."""

from __future__ import annotations

import json

import pytest

from monitor.store.spool import Spool
from tests.store.records import mention


def test_mentions_come_back_in_the_order_they_were_spooled(tmp_path):
    spool = Spool(tmp_path)
    spool.append([mention(1, 0), mention(2, 1)])
    spool.append([mention(3, 2)])
    seen: list[list[str]] = []
    assert spool.replay(lambda batch: seen.append([m.id for m in batch]), batch=2) == 3
    assert seen == [["forum:1", "forum:2"], ["forum:3"]]
    assert not spool.has_pending() and not spool.log.exists()


def test_spooled_mentions_round_trip_unchanged(tmp_path):
    spool = Spool(tmp_path)
    original = mention(7, 3, likes=4, crisis=["爆炸"])
    spool.append([original])
    back: list = []
    spool.replay(back.extend)
    assert back == [original]


def test_a_failed_replay_keeps_what_was_not_handled(tmp_path):
    spool = Spool(tmp_path)
    spool.append([mention(n, n) for n in range(5)])
    handled: list[str] = []

    def flaky(batch):
        if handled:
            raise ConnectionError("down again")
        handled.extend(m.id for m in batch)

    with pytest.raises(ConnectionError):
        spool.replay(flaky, batch=2)
    assert handled == ["forum:0", "forum:1"]
    assert spool.pending() == 3
    rest: list = []
    spool.replay(lambda batch: rest.extend(m.id for m in batch))
    assert rest == ["forum:2", "forum:3", "forum:4"]


def test_the_spool_survives_a_restart(tmp_path):
    Spool(tmp_path).append([mention(1, 0)])
    assert Spool(tmp_path).pending() == 1


def test_half_a_line_left_by_a_crash_is_cut_off_before_the_next_append(tmp_path):
    spool = Spool(tmp_path)
    spool.append([mention(1, 0)])
    with spool.log.open("ab") as f:
        f.write(json.dumps(mention(2, 1).to_dict()).encode()[:40])  # the process died mid-write
    assert spool.pending() == 1
    spool.append([mention(3, 2)])
    ids: list[str] = []
    spool.replay(lambda batch: ids.extend(m.id for m in batch))
    assert ids == ["forum:1", "forum:3"]


def test_refused_mentions_are_kept_with_their_reason_and_not_replayed(tmp_path):
    spool = Spool(tmp_path)
    spool.set_aside([(mention(1, 0), "mapper_parsing_exception: author.followers")])
    [line] = spool.rejected.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["reason"].startswith("mapper_parsing_exception")
    assert not spool.has_pending()
