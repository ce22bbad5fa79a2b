"""A report's reply-SLA figures (ReplyDesk.figures) on both stores, against the definition read mention
by mention: official replies in comment trees and threads, marks, the brand's own negative posts, tiers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from monitor.clock import FakeClock
from monitor.config.model import BrandConfig, Config, ReplyConfig, SlaTier
from monitor.mention import Author, Mention
from monitor.reply.accounts import OfficialAccounts
from monitor.reply.marks import Mark, save_mark
from monitor.reply.queue import ReplyDesk, answered_ids, tier_for
from monitor.store.sqlite import SqliteStore

START = datetime(2026, 11, 16, tzinfo=timezone.utc)
END = START + timedelta(days=7)
NOW = END + timedelta(hours=3)
TIERS = (SlaTier(within=timedelta(minutes=30), severity="critical", min_followers=10_000),
         SlaTier(within=timedelta(hours=2), platforms=("forum", "weibo")))
BRAND = "星河手机"


def config() -> Config:
    return Config(brands=(BrandConfig(name=BRAND, official_accounts={"forum": ["阿杰"], "weibo": ["星河官方"]}),
                          BrandConfig(name="云朵奶茶")),
                  reply=ReplyConfig(sla=TIERS, lookback=timedelta(days=2)))


def post(n: str, at: datetime, label: str = "negative", platform: str = "forum", author: str = "网友",
         followers: int | None = 10, thread: str | None = None, parent: str | None = None,
         content_type: str = "post", brand: str = BRAND) -> Mention:
    return Mention(id=f"{platform}:{n}", platform=platform, source=f"{platform}-src", url=f"http://127.0.0.1/{n}",
                   text=f"{brand} 第{n}条", published_at=at, crawled_at=at, content_type=content_type,
                   thread_id=thread and f"{platform}:{thread}", parent_id=parent and f"{platform}:{parent}",
                   author=Author(id=f"id-{author}", name=author, followers=followers), brands=[brand],
                   sentiment_label=label, sentiment={"negative": 0.1}.get(label, 0.6))


def expected(mentions: list[Mention], cfg: Config, marks: dict[str, datetime]) -> dict[str, int]:
    """The definition, mention by mention (what the figures were before the store counted them)."""
    accounts, out = OfficialAccounts(cfg.brands), dict.fromkeys(
        ("negative", "answered", "handled", "within_sla", "breached", "open"), 0)
    for b in cfg.brands:
        window = [m for m in mentions if b.name in m.brands and START <= m.published_at < END + cfg.reply.lookback]
        official = [m for m in window if accounts.is_official(m, b.name)]
        first: dict[str, datetime] = {}
        for r in sorted(official, key=lambda r: r.published_at):
            for mid in answered_ids(window, [r]):
                first.setdefault(mid, r.published_at)
        for m in window:
            tier = tier_for(m, cfg.reply.sla)
            if (m.sentiment_label != "negative" or not START <= m.published_at < END or tier is None
                    or accounts.is_official(m, b.name)):
                continue
            out["negative"] += 1
            done_at = first.get(m.id)
            if done_at is not None:
                out["answered"] += 1
            elif m.id in marks:
                out["handled"] += 1
                done_at = marks[m.id]
            else:
                out["open"] += 1
            if done_at is not None and done_at <= m.published_at + tier.within:
                out["within_sla"] += 1
            elif done_at is not None or NOW >= m.published_at + tier.within:
                out["breached"] += 1
    return out


def mixed() -> tuple[list[Mention], dict[str, datetime]]:
    t = START + timedelta(days=1)
    h = timedelta(hours=1)
    rows = [
        # thread 1: two complaints, then the official account's floor reply answers both (one late)
        post("1", t, thread="1"), post("2", t + 2 * h, thread="1", parent="1", content_type="comment"),
        post("3", t + 3 * h, label="neutral", author="阿杰", thread="1", parent="1", content_type="comment"),
        # a comment tree: the official reply deep under 5 answers 5 and 4 above it, not the sibling 6
        post("4", t + 5 * h, thread="4"), post("5", t + 5.1 * h, thread="4", parent="4", content_type="comment"),
        post("6", t + 5.2 * h, thread="4", parent="4", content_type="comment"),
        post("7", t + 5.3 * h, label="neutral", author="阿杰", thread="4", parent="5", content_type="reply"),
        # an influencer's complaint answered after its 30 minutes
        post("8", t + 6 * h, platform="weibo", followers=50_000, thread="8"),
        post("9", t + 7 * h, label="positive", platform="weibo", author="星河官方", thread="8", parent="8",
             content_type="comment"),
        # the brand's own negative post is not a complaint; an untiered platform counts nowhere
        post("10", t + 8 * h, author="阿杰"), post("11", t + 8 * h, platform="bilibili"),
        # marked handled in time, and too late; an open one assigned, past its time; another brand's complaint
        post("12", t + 9 * h), post("13", t + 9 * h), post("14", END - timedelta(minutes=20)),
        post("15", t + 9 * h, brand="云朵奶茶"),
        # before the period, answered within it; after the period: neither counts
        post("16", START - h, thread="16"), post("17", END + h, thread="17"),
        post("18", START + h, label="neutral", author="阿杰", thread="16", parent="16", content_type="comment"),
        # the official reply comes after the period, within the lookback
        post("19", END - h, thread="19"),
        post("20", END + h, label="neutral", author="阿杰", thread="19", parent="19", content_type="comment"),
    ]
    marks = {"forum:12": t + 9.5 * h, "forum:13": t + 12 * h, "forum:15": t + 9.2 * h}
    return rows, marks


def desk_with(store, rows: list[Mention], marks: dict[str, datetime]) -> ReplyDesk:
    store.upsert(rows)
    for mid, at in marks.items():
        save_mark(store, Mark(mid, handled_at=at, handled_by="小王"))
    save_mark(store, Mark("forum:14", assignee="小李"))  # assigned, not handled: still open
    return ReplyDesk(config(), store, FakeClock(NOW))


def test_the_figures_follow_official_replies_marks_and_tiers_as_each_complaint_says(store):
    rows, marks = mixed()
    desk = desk_with(store, rows, marks)
    figures = desk.figures(START, END)
    assert figures == expected(rows, config(), marks)
    # 1 2 4 5 6 8 12 13 14 19 of 星河手机 and 15 of 云朵奶茶; answered: 1 2 4 5 8 19; handled: 12 13 15;
    # late: 1 (the floor reply after 3 h), 8 (an hour for an influencer), 13, and the open 6 and 14
    assert figures == {"negative": 11, "answered": 6, "handled": 3, "within_sla": 6, "breached": 5, "open": 2}
    assert desk.figures(START, END, BRAND)["negative"] == 10


def test_the_figures_count_every_complaint_of_a_brand_beyond_twenty_thousand(tmp_path):
    """25,000 complaints in one brand's week (the figures once stopped at 20,000)."""
    store = SqliteStore(tmp_path / "brandmon.db")
    try:
        rows = [post(str(n), START + timedelta(seconds=20 * n), followers=(n % 7) * 3000, thread=str(n % 300))
                for n in range(25_000)]
        rows += [post(f"r{n}", START + timedelta(days=1, seconds=n), label="neutral", author="阿杰",
                      thread=str(n), parent=str(n), content_type="comment") for n in range(0, 300, 3)]
        marks = {f"forum:{n}": START + timedelta(seconds=20 * n + (600 if n % 2 else 9000)) for n in range(5, 25_000, 97)}
        store._write(rows)  # one transaction, not the upsert's small ones: a second, not ten
        desk = desk_with(store, [], marks)
        figures = desk.figures(START, END)
        assert figures == expected(rows, config(), marks)
        assert figures["negative"] == 25_000 and figures["answered"] > 1_000 and figures["handled"] > 100
    finally:
        store.close()
