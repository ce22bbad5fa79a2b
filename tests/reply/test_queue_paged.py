"""The live reply queue and its SLA findings on both stores, read a page at a time (ReplyDesk(page=…)):
every complaint of the lookback window is queued and alerts, however many pages it takes, against the
definition read mention by mention."""

from __future__ import annotations

from datetime import timedelta

from monitor.clock import FakeClock
from monitor.config.loader import Settings
from monitor.config.model import BrandConfig, Config, ReplyConfig
from monitor.config.rules import Playbook
from monitor.mention import Mention
from monitor.reply.accounts import OfficialAccounts
from monitor.reply.marks import Mark, save_mark
from monitor.reply.queue import BREACHED, DUE_SOON, OK, SNOOZED, ReplyDesk, answered_ids, tier_for
from monitor.reply.sla import sla_findings
from tests.reply.test_figures import BRAND, END, TIERS, post

NOW = END
LOOKBACK = timedelta(days=2)
M = timedelta(minutes=1)


def config() -> Config:
    # the forum account is listed as "XingHe_CS" and posts as "xinghe_cs": handles ignore case
    return Config(brands=(BrandConfig(name=BRAND, official_accounts={"forum": ["阿杰", "XingHe_CS"]}),
                          BrandConfig(name="云朵奶茶")),
                  reply=ReplyConfig(sla=TIERS, lookback=LOOKBACK))


def settings() -> Settings:
    playbooks = {s: Playbook.model_validate({"name": s, "steps": [{"notify": ["console"]}]})
                 for s in ("warning", "critical")}
    return Settings(path=None, config=config(), rules=(), playbooks=playbooks)


def complaints() -> tuple[list[Mention], dict[str, Mark]]:
    """45 complaints of one brand over the last 20 hours (influencers among them: another tier), with
    official replies, marks, the brand's own negative post, one too old and another brand's."""
    rows = [post(f"c{n}", NOW - 20 * 60 * M + 26 * n * M, followers=20_000 if n % 4 == 0 else 10,
                 thread=f"c{n}") for n in range(45)]
    rows += [
        post("r3", NOW - 10 * 60 * M, label="neutral", author="xinghe_cs", thread="c3", parent="c3",
             content_type="comment"),  # answers c3 in its comment tree
        post("f10", NOW - 19 * 60 * M + 10 * M, thread="c10", parent="c10", content_type="comment"),
        post("r10", NOW - 10 * M, label="positive", author="阿杰", thread="c10"),  # floor reply: c10 and f10
        # deep in c31's comments: the official reply under k1 answers d1 above it (two reads up), not d2
        post("d1", NOW - 15 * 60 * M, thread="c31", parent="c31", content_type="comment"),
        post("d2", NOW - 15 * 60 * M + M, thread="c31", parent="c31", content_type="comment"),
        post("k1", NOW - 14 * 60 * M, label="neutral", thread="c31", parent="d1", content_type="reply"),
        post("r1", NOW - 13 * 60 * M, label="neutral", author="阿杰", thread="c31", parent="k1", content_type="reply"),
        post("own", NOW - 3 * 60 * M, author="阿杰"),  # the brand's own negative post is no complaint
        post("old", NOW - LOOKBACK - 60 * M),  # older than the lookback: left out
        post("other", NOW - 3 * 60 * M, brand="云朵奶茶"),
        post("calm", NOW - 5 * M, label="neutral"),
    ]
    marks = {"forum:c20": Mark("forum:c20", handled_at=NOW - 60 * M, handled_by="小王"),
             "forum:c21": Mark("forum:c21", snoozed_until=NOW + 60 * M),
             "forum:c22": Mark("forum:c22", snoozed_until=NOW - 60 * M, assignee="小李")}  # snooze over
    return rows, marks


def expected(rows: list[Mention], marks: dict[str, Mark], include_snoozed: bool = False) -> list[tuple[str, str, str]]:
    """(mention id, brand, SLA state) of each queued item, oldest first: the definition, mention by mention."""
    cfg, out = config(), []
    accounts = OfficialAccounts(cfg.brands)
    for b in cfg.brands:
        window = [m for m in rows if b.name in m.brands and NOW - LOOKBACK <= m.published_at < NOW + M]
        done = answered_ids(window, [m for m in window if accounts.is_official(m, b.name)])
        for m in window:
            tier, mark = tier_for(m, cfg.reply.sla), marks.get(m.id, Mark(m.id))
            if (m.sentiment_label != "negative" or m.id in done or accounts.is_official(m, b.name) or tier is None
                    or mark.handled_at):
                continue
            due = m.published_at + tier.within
            if mark.snoozed_until and mark.snoozed_until > NOW:
                if not include_snoozed:
                    continue
                state = SNOOZED
            else:
                state = BREACHED if NOW >= due else DUE_SOON if NOW >= m.published_at + tier.within * 0.75 else OK
            out.append((m.published_at, m.id, b.name, state))
    return [(i, b, s) for _, i, b, s in sorted(out, key=lambda x: (x[0], x[1]))]


def desk_with(store, page: int) -> tuple[ReplyDesk, list[Mention], dict[str, Mark]]:
    rows, marks = complaints()
    store.upsert(rows)
    for mark in marks.values():
        save_mark(store, mark)
    return ReplyDesk(config(), store, FakeClock(NOW), page=page), rows, marks


def queued(items) -> list[tuple[str, str, str]]:
    return [(i.mention.id, i.brand, i.state) for i in items]


def test_every_complaint_is_queued_whatever_the_page_size_as_each_mention_says(store):
    desk, rows, marks = desk_with(store, page=4)
    want = expected(rows, marks)
    assert queued(desk.items()) == want
    assert len(want) == 42 and {s for _, _, s in want} == {BREACHED, DUE_SOON, OK}
    ids = {i for i, _, _ in want}
    assert {"forum:c0", "forum:c44", "forum:c22", "forum:other", "forum:d2"} <= ids  # first, last, snoozed no more
    assert not ids & {"forum:c3", "forum:c10", "forum:f10", "forum:c20", "forum:c21", "forum:c31", "forum:d1",
                      "forum:own", "forum:old"}
    assert queued(desk.items(include_snoozed=True)) == expected(rows, marks, include_snoozed=True)
    assert queued(ReplyDesk(config(), store, FakeClock(NOW), page=1000).items(BRAND)) == [
        w for w in want if w[1] == BRAND]


def test_the_oldest_breach_beyond_many_pages_still_alerts_with_every_breach_counted(store):
    desk, rows, marks = desk_with(store, page=3)
    want = expected(rows, marks)
    findings = {(f.brand, f.severity): f for f in sla_findings(settings(), store, NOW, desk)}
    for (brand, severity), finding in findings.items():
        breached = [i for i, b, s in want if b == brand and s == BREACHED
                    and tier_for(next(m for m in rows if m.id == i), TIERS).severity == severity]
        assert finding.figures["count"] == len(breached) > 0
        assert [m.id for m in finding.examples] == breached[:5]  # the oldest first
        stored = {m.id: m for m in rows}
        assert [m.text for m in finding.examples] == [stored[i].text for i in breached[:5]]  # whole, to be shown
    assert set(findings) == {(BRAND, "critical"), (BRAND, "warning"), ("云朵奶茶", "warning")}
    oldest = findings[(BRAND, "critical")]
    assert oldest.examples[0].id == "forum:c0" and oldest.figures["oldest_minutes"] == 20 * 60


def test_a_listing_shows_the_first_items_and_counts_them_all(store):
    desk, rows, marks = desk_with(store, page=5)
    want = expected(rows, marks)
    listing = desk.listing(limit=4)
    assert queued(listing.items) == want[:4] and listing.total == len(want)
    assert [i.to_dict(NOW)["text"] for i in listing.items] == [  # what the phone page shows: the whole mention
        next(m for m in rows if m.id == i).text[:200] for i, _, _ in want[:4]]
    assert listing.states == {s: n for s in (BREACHED, DUE_SOON, OK) if (n := sum(w[2] == s for w in want))}
    late = desk.listing(limit=100, states=(BREACHED,))
    assert queued(late.items) == [w for w in want if w[2] == BREACHED] and late.total == len(late.items)
    urgent = desk.listing(limit=3, order="due")
    everything = desk.items()
    assert [i.mention.id for i in urgent.items] == [
        i.mention.id for i in sorted(everything, key=lambda i: (i.due_at, i.mention.published_at, i.mention.id))[:3]]
    # c4's influencer had 30 minutes, c1 two hours: c4 came due first though posted later
    assert [i.mention.id for i in urgent.items] == ["forum:c0", "forum:c4", "forum:c1"] and urgent.total == len(want)


def test_only_a_queued_mention_can_be_acted_on_however_deep_in_the_queue(store):
    desk, _, _ = desk_with(store, page=3)
    assert desk.handle("forum:c44", "小王", "已回复").handled_at == NOW  # the newest: many pages in
    assert "forum:c44" not in {i.mention.id for i in desk.items()}
    for gone in ("forum:c3", "forum:calm", "forum:old", "forum:nothing"):  # answered, not negative, too old, no such
        try:
            desk.assign(gone, "小李", "小王")
        except KeyError:
            continue
        raise AssertionError(f"{gone} was assigned")
    assert not {"forum:c3", "forum:calm", "forum:old", "forum:nothing"} & {
        k.split(":", 1)[1] for k in store.states("reply:")}
