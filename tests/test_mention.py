"""The mention record read back from any store or file, whatever brandmon version wrote it."""

from __future__ import annotations

from monitor.mention import Mention
from tests.store.records import mention


def test_a_record_from_before_crisis_brands_reads_its_crisis_terms_as_every_brands():
    record = mention(1, 0, crisis=["起火"]).to_dict()
    record["brands"] = ["小米", "瑞幸"]
    del record["crisis_brands"]
    assert Mention.from_dict(record).crisis_brands == ["小米", "瑞幸"]
