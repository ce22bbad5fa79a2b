"""A realistic mention stream for detection benches, with labelled crises and labelled benign surprises.

Eight brands from 20 to 3,000 mentions a day, on five sources with their own crawl intervals, over seven
weeks from Monday 2026-10-12 (Asia/Shanghai): day and week rhythm, over-dispersed noise, a slow trend,
the 双11 run-up (pre-sales at 20:00, the midnight rush, logistics and refund complaints), product launches,
spam and bot waves (ads, "退款代办" with complaint words, 刷好评), benign repost storms, competitor crises
with comparisons ("华为出事了，还是小米好"), routine complaints from big accounts, sources going dark and
coming back with a backlog, and a new source whose first crawl brings a month of history at once.

Crises come in five shapes: `sudden` (an explosion, a food-safety video: minutes from nothing to many),
`overnight` (starts between 00:00 and 05:00 when few people post), `slow_burn` (grows for a day or two),
`repost_storm` (one exposé by a big account reposted hundreds of times, plus reactions) and `escalating`
(a day of ordinary complaints that turns into a crisis). Every crisis post is labelled with its crisis id.

Each mention is the record `brandmon import` reads (README, "Importing history"), plus bench-only keys
under "truth" (label, event id) and "arrives" (epoch seconds when the crawler would have stored it).
Deterministic for a seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

LOCAL = 8 * 3600  # Asia/Shanghai, no daylight saving
START = datetime(2026, 10, 11, 16, 0, tzinfo=timezone.utc).timestamp()  # Mon 2026-10-12 00:00 local
DAY, HOUR, MINUTE = 86400, 3600, 60
WARMUP_DAYS = 14  # no crises before: rules are learning; false incidents are not scored here
SHAPES = ("sudden", "overnight", "slow_burn", "repost_storm", "escalating")
BENIGN = ("promotion", "launch", "spam", "benign_storm", "competitor_crisis", "big_account", "backlog")


@dataclass(frozen=True)
class Brand:
    name: str
    aliases: tuple[str, ...]
    competitor: str
    per_day: float
    negative: float  # normal negative share
    complaints: float  # share of negative posts carrying everyday complaint words (投诉、退款、避雷…)
    sector: str
    double11: bool  # sells on 双11


BRANDS = (
    Brand("小米", ("小米手机", "红米"), "华为", 3000, 0.22, 0.35, "phone", True),
    Brand("瑞幸", ("瑞幸咖啡", "luckin"), "星巴克", 1200, 0.25, 0.30, "coffee", False),
    Brand("完美日记", ("完美日记口红",), "花西子", 600, 0.30, 0.40, "cosmetics", True),
    Brand("蔚来", ("蔚来汽车", "NIO"), "特斯拉", 300, 0.35, 0.45, "ev", False),
    Brand("极兔", ("极兔速递",), "顺丰", 150, 0.42, 0.55, "courier", True),
    Brand("元气森林", ("气泡水",), "农夫山泉", 80, 0.15, 0.30, "drink", True),
    Brand("喜茶", ("喜茶奶茶",), "奈雪", 40, 0.20, 0.30, "tea", False),
    Brand("青禾咖啡", ("青禾",), "瑞幸", 20, 0.18, 0.30, "coffee", False),
)

# name, platform, share of each brand's mentions, crawl interval (minutes), content type
SOURCES = (
    ("weibo", "weibo", 0.55, 5, "post"),
    ("tieba", "tieba", 0.18, 10, "post"),
    ("xhs", "xiaohongshu", 0.12, 15, "post"),
    ("news-comments", "news", 0.10, 15, "comment"),
    ("small-bbs", "forum", 0.05, 30, "post"),
)
NEW_SOURCE = ("douyin-comments", "douyin", 0.10, 10, "comment")  # added mid-stream: its first crawl is a backlog

# hour-of-day weights (local), mean 1
_DIURNAL = np.array([0.55, 0.35, 0.22, 0.15, 0.12, 0.15, 0.3, 0.6, 0.95, 1.15, 1.25, 1.3,
                     1.35, 1.2, 1.15, 1.2, 1.25, 1.25, 1.3, 1.45, 1.6, 1.65, 1.4, 0.95])
_DIURNAL = _DIURNAL / _DIURNAL.mean()
_WEEKLY = np.array([0.95, 0.95, 0.97, 1.0, 1.05, 1.08, 1.0])  # Monday first

TOPICS = {
    "phone": ("拍照", "续航", "系统更新", "屏幕", "信号", "发热", "充电", "价格", "性价比", "外观"),
    "coffee": ("生椰拿铁", "新品", "口味", "优惠券", "排队", "外卖", "杯子", "甜度", "店员", "联名"),
    "cosmetics": ("口红", "色号", "粉底", "包装", "持妆", "直播间", "赠品", "质地", "价格", "试色"),
    "ev": ("续航", "换电", "智驾", "车机", "内饰", "保养", "充电桩", "提车", "试驾", "售后"),
    "courier": ("快递", "派送", "驿站", "包裹", "时效", "快递员", "丢件", "运费", "物流", "签收"),
    "drink": ("气泡水", "口味", "无糖", "包装", "便利店", "价格", "新口味", "冰镇", "代言", "配料"),
    "tea": ("奶茶", "芝士", "新品", "排队", "外卖", "甜度", "门店", "杯型", "口感", "联名"),
}
NEUTRAL = ("今天去看了看{b}{t}", "有人了解{b}的{t}吗", "{b}{t}怎么样", "听说{b}最近在搞{t}", "求问{b}{t}相关",
           "{b}的{t}和别家比如何", "记录一下{b}{t}", "{b}{t}，大家怎么看")
POSITIVE = ("{b}的{t}真不错", "很喜欢{b}的{t}", "{b}{t}超出预期", "给{b}的{t}点个赞", "{b}{t}挺好用的",
            "入手{b}很满意，{t}好评", "{b}这次{t}做得好")
NEGATIVE = ("{b}的{t}太差了", "对{b}{t}很失望", "{b}{t}又出问题", "{b}的{t}越来越不行", "{b}{t}体验很糟",
            "吐槽一下{b}{t}", "{b}{t}让人无语")
COMPLAINT = ("{b}{t}有问题，已经投诉了", "{b}申请退款一直不处理", "避雷{b}{t}", "{b}售后太差要去12315投诉",
             "{b}{t}退货被拒", "踩雷了{b}{t}", "{b}退款拖了半个月")
FILLER = ("", "", "", "。", "！", "，真的", "…", "，说实话", "，有同感吗", "，记录一下", "。蹲一个后续", "，第{n}次了",
          "，{n}块钱", "，用了{n}天", "。#{t}#", "，在{c}", "，朋友说的")
CITIES = ("北京", "上海", "广州", "深圳", "成都", "杭州", "武汉", "西安", "南京", "重庆")
CRISIS = {
    "sudden": ("{b}门店爆炸，现场有人受伤", "{b}{t}起火了！视频曝光", "{b}被曝食品安全问题，吃出异物",
               "{b}{t}爆炸事故，多人受伤", "震惊，{b}被曝使用过期原料", "{b}出事了，现场视频曝光"),
    "slow_burn": ("{b}{t}质量问题越来越多，车主维权", "{b}车主集体维权，要求召回", "{b}{t}缺陷被曝光，官方回应敷衍",
                  "{b}维权群已经几百人了", "{b}集体诉讼准备中", "{b}{t}故障，消协介入"),
    "repost_storm": ("转发：{b}被曝虚假宣传，{t}数据造假", "{b}黑心商家，曝光！", "{b}欺诈消费者，大家转起来"),
    "escalating": ("{b}{t}翻车了，越来越多人遇到", "{b}这次真的翻车，官方还不道歉", "{b}{t}大面积故障，客服失联",
                   "{b}被约谈了？{t}问题太多", "{b}塌房了，{t}问题没人管"),
}
CRISIS["overnight"] = CRISIS["sudden"]
COMPARISON = ("{c}出事了，还是{b}好", "{c}这次翻车，果断换{b}", "{c}爆雷，幸好买的是{b}", "{c}被曝光了，{b}稳",
              "看到{c}的新闻，庆幸用{b}", "{c}起火事件后，{b}销量要涨了")
SPAM = ("{b}{t}特价，加V了解", "{b}内部优惠券免费领，私信", "专业处理{b}退款投诉，成功再收费，加V",
        "{b}{t}好评返现，联系我", "代拍{b}{t}，低价出")
STORM_POS = ("{b}这个{t}广告太好笑了哈哈哈", "{b}官方回复太可爱了", "为{b}{t}打call，国货之光")


@dataclass
class Event:
    id: str
    kind: str  # a crisis shape, a benign cause, or "source_dark"
    brand: str | None
    start: float
    end: float
    label: str  # "crisis", "benign" or "ops"
    source: str | None = None

    def to_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "brand": self.brand, "start": self.start, "end": self.end,
                "label": self.label, "source": self.source}


@dataclass
class Stream:
    seed: int
    days: int
    start: float
    brands: tuple[Brand, ...]
    sources: tuple[tuple, ...]
    events: list[Event]
    mentions: list[dict] = field(default_factory=list)
    dark: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # source → blocked spans
    source_added: dict[str, float] = field(default_factory=dict)  # source → when it was first crawled

    @property
    def scored_from(self) -> float:
        return self.start + WARMUP_DAYS * DAY

    @property
    def end(self) -> float:
        return self.start + self.days * DAY


class _Writer:
    """Builds mention records with varied text, so that ordinary chatter never clusters as a story."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.n = 0

    def pick(self, options):
        return options[int(self.rng.integers(len(options)))]

    def text(self, pattern: str, brand: Brand, competitor: str | None = None) -> str:
        topic = self.pick(TOPICS[brand.sector])
        name = brand.name if self.rng.random() < 0.75 else self.pick(brand.aliases)
        tail = self.pick(FILLER).format(n=int(self.rng.integers(2, 400)), t=self.pick(TOPICS[brand.sector]),
                                        c=self.pick(CITIES))
        extra = self.pick(("", "", f"，{self.pick(TOPICS[brand.sector])}也一般", f"，{self.pick(CITIES)}这边",
                           f"，{int(self.rng.integers(1, 30))}号", f"，已经{int(self.rng.integers(2, 9))}个月"))
        return pattern.format(b=name, t=topic, c=competitor or "") + extra + tail

    def author(self, big: bool = False, bot: bool = False) -> dict:
        self.n += 1
        if bot:
            return {"id": f"bot{self.n}", "name": f"用户{self.rng.integers(10**6, 10**7)}",
                    "followers": int(self.rng.integers(0, 15))}
        followers = int(math.exp(self.rng.normal(12.5, 1.0))) if big else int(math.exp(self.rng.normal(5.0, 1.9)))
        return {"id": f"u{self.rng.integers(10**7)}", "name": f"网友{self.rng.integers(10**5)}", "followers": followers}

    def engagement(self, followers: int, boost: float = 1.0) -> dict:
        scale = boost * max(followers, 10) ** 0.6 * math.exp(self.rng.normal(-1.0, 1.2))
        likes = int(scale)
        return {"likes": likes, "comments": int(likes * self.rng.uniform(0.05, 0.3)),
                "reposts": int(likes * self.rng.uniform(0.02, 0.2))}


def rhythm(ts: np.ndarray) -> np.ndarray:
    local = ts + LOCAL
    hour = ((local % DAY) // HOUR).astype(int)
    dow = (((local - (START + LOCAL)) // DAY) % 7).astype(int)
    return _DIURNAL[hour] * _WEEKLY[dow]


def _local(day: int, hour: float) -> float:
    return START + day * DAY + hour * HOUR


def _plan(rng: np.random.Generator, days: int, brands: tuple[Brand, ...]) -> list[Event]:
    """Where the crises and the benign surprises go: each shape at least twice, crises of one brand apart."""
    events: list[Event] = []
    shapes = [SHAPES[i % len(SHAPES)] for i in range(max(len(SHAPES) * 2, len(brands) + 2))]
    rng.shuffle(shapes)
    busy: dict[str, list[float]] = {b.name: [] for b in brands}
    for n, shape in enumerate(shapes):
        brand = brands[n % len(brands)]
        for _ in range(100):
            day = int(rng.integers(WARMUP_DAYS, days - 2))
            hour = rng.uniform(0.5, 4.5) if shape == "overnight" else rng.uniform(8, 22)
            start = _local(day, hour)
            if all(abs(start - other) > 4 * DAY for other in busy[brand.name]):
                break
        busy[brand.name].append(start)
        length = {"sudden": 10, "overnight": 12, "slow_burn": 48, "repost_storm": 8, "escalating": 16}[shape]
        events.append(Event(f"C{n + 1:02d}", shape, brand.name, start, start + length * HOUR, "crisis"))
    k = 0
    for brand in brands:
        k += 1
        day = int(rng.integers(WARMUP_DAYS, days - 1))
        events.append(Event(f"B{k:02d}", "launch", brand.name, _local(day, 10), _local(day + 1, 10), "benign"))
        for _ in range(int(rng.integers(1, 3))):
            k += 1
            s = _local(int(rng.integers(2, days - 1)), rng.uniform(0, 24))
            events.append(Event(f"B{k:02d}", "spam", brand.name, s, s + rng.uniform(1, 4) * HOUR, "benign"))
        k += 1
        s = _local(int(rng.integers(WARMUP_DAYS, days - 1)), rng.uniform(9, 23))
        events.append(Event(f"B{k:02d}", "benign_storm", brand.name, s, s + 6 * HOUR, "benign"))
        if rng.random() < 0.6:
            k += 1
            s = _local(int(rng.integers(WARMUP_DAYS, days - 2)), rng.uniform(8, 22))
            events.append(Event(f"B{k:02d}", "competitor_crisis", brand.name, s, s + 30 * HOUR, "benign"))
        for _ in range(int(rng.integers(1, 4))):
            k += 1
            s = _local(int(rng.integers(WARMUP_DAYS, days - 1)), rng.uniform(8, 23))
            events.append(Event(f"B{k:02d}", "big_account", brand.name, s, s + HOUR, "benign"))
        if brand.double11:  # 双11: pre-sale evenings on Oct 24 and Oct 31 20:00, the big night Nov 10 20:00 – Nov 12
            for day, hours in ((12, 5), (19, 5), (29, 52)):
                if day < days:
                    k += 1
                    events.append(Event(f"B{k:02d}", "promotion", brand.name, _local(day, 20),
                                        _local(day, 20) + hours * HOUR, "benign"))
    return events


def generate(seed: int = 1, days: int = 49, brands: tuple[Brand, ...] = BRANDS) -> Stream:
    rng = np.random.default_rng(seed)
    write = _Writer(rng)
    events = _plan(rng, days, brands)
    stream = Stream(seed, days, START, brands, SOURCES + (NEW_SOURCE,), events)
    # two sources go dark for a while; one new source starts in week four with a month of history
    for n in range(2):
        name = SOURCES[int(rng.integers(0, len(SOURCES)))][0] if n else "small-bbs"
        s = _local(int(rng.integers(WARMUP_DAYS, days - 2)), rng.uniform(0, 24))
        span = (s, s + rng.uniform(6, 30) * HOUR)
        stream.dark.setdefault(name, []).append(span)
        events.append(Event(f"D{n + 1}", "source_dark", None, span[0], span[1], "ops", name))
    added = _local(24, 14.5)
    stream.source_added[NEW_SOURCE[0]] = added
    events.append(Event("N1", "backlog", None, added, added + HOUR, "benign", NEW_SOURCE[0]))
    out = stream.mentions
    for brand in brands:
        _chatter(rng, write, stream, brand, out)
        for event in (e for e in events if e.brand == brand.name):
            _event(rng, write, stream, brand, event, out)
    out.sort(key=lambda m: m["arrives"])
    return stream


def _hourly_means(rng: np.random.Generator, stream: Stream, brand: Brand) -> np.ndarray:
    n = stream.days * 24
    ts = stream.start + np.arange(n) * HOUR
    trend = 1 + 0.15 * np.sin(2 * np.pi * np.arange(n) / n + rng.uniform(0, 2 * np.pi))
    daily = np.repeat(rng.gamma(12.0, 1 / 12.0, size=stream.days), 24)  # some days are just busier
    return brand.per_day / 24 * rhythm(ts) * trend * daily * rng.gamma(25.0, 1 / 25.0, size=n)


def _chatter(rng, write: _Writer, stream: Stream, brand: Brand, out: list[dict]) -> None:
    """Everyday mentions: mostly neutral, the brand's usual share of negatives and of complaint words,
    a few big accounts, and busier (and grumpier) promotion and launch days."""
    means = _hourly_means(rng, stream, brand)
    boosts = np.ones_like(means)
    grumpy = np.zeros_like(means)
    for e in stream.events:
        if e.brand != brand.name or e.kind not in ("promotion", "launch"):
            continue
        for h in range(int((e.start - stream.start) // HOUR), min(len(means), int((e.end - stream.start) // HOUR) + 1)):
            if h < 0:
                continue
            first = h == int((e.start - stream.start) // HOUR)
            boosts[h] *= (6.0 if first else 2.5) if e.kind == "promotion" else (4.0 if first else 2.0)
            grumpy[h] = 0.35 if e.kind == "promotion" else 0.15  # logistics/refund complaints, "too expensive"
    counts = rng.poisson(means * boosts)
    for h, count in enumerate(counts):
        base = stream.start + h * HOUR
        for t in base + np.sort(rng.uniform(0, HOUR, size=count)):
            neg = brand.negative * (1 + grumpy[h])
            r = rng.random()
            if r < neg:
                pattern, label = (write.pick(COMPLAINT) if rng.random() < brand.complaints * (1 + grumpy[h])
                                  else write.pick(NEGATIVE)), "negative"
            elif r < neg + 0.3:
                pattern, label = write.pick(POSITIVE), "positive"
            else:
                pattern, label = write.pick(NEUTRAL), "neutral"
            out.append(_record(rng, write, stream, brand, float(t), write.text(pattern, brand), label,
                               ("benign", None), big=rng.random() < 0.004))


def _source(rng, stream: Stream, at: float):
    live = [s for s in stream.sources if s[0] not in stream.source_added or at >= stream.source_added[s[0]] - 30 * DAY]
    weights = np.array([s[2] for s in live])
    return live[int(rng.choice(len(live), p=weights / weights.sum()))]


def _arrival(rng, stream: Stream, source: tuple, published: float) -> float:
    """The end of the first crawl after publication (plus indexing lag), later if the source is dark or new."""
    interval = source[3] * MINUTE
    t = (math.floor(published / interval) + 1) * interval + rng.uniform(10, 90)
    added = stream.source_added.get(source[0])
    if added is not None and t < added:
        t = added + rng.uniform(0, 600)
    for start, end in stream.dark.get(source[0], ()):
        if start <= t < end:
            t = (math.floor(end / interval) + 1) * interval + rng.uniform(10, 90)
    return float(t)


def _record(rng, write: _Writer, stream: Stream, brand: Brand, t: float, text: str, label: str,
            truth: tuple[str, str | None], big: bool = False, bot: bool = False, author: dict | None = None,
            engagement: dict | None = None, parent: str | None = None, source: tuple | None = None) -> dict:
    source = source or _source(rng, stream, t)
    author = author or write.author(big=big, bot=bot)
    write.n += 1
    native = f"{stream.seed}-{write.n}"
    eng = engagement or write.engagement(author["followers"], 0.2 if bot else 1.0)
    return {
        "id": f"{source[1]}:{native}", "source": source[0], "platform": source[1],
        "url": f"https://{source[1]}.example.com/p/{native}", "native_id": native, "content_type": source[4],
        "published_at": datetime.fromtimestamp(t, timezone.utc).isoformat(), "text": text,
        "author": author, "engagement": eng, "parent_id": parent, "sentiment_label": label,
        "truth": {"label": truth[0], "event": truth[1]}, "arrives": _arrival(rng, stream, source, t),
    }


def _times(rng, start: float, end: float, rate, step: float = 5 * MINUTE) -> list[float]:
    """Publication times from an inhomogeneous Poisson process with rate(t) per hour."""
    out = []
    t = start
    while t < end:
        n = rng.poisson(max(rate(t), 0.0) * step / HOUR)
        out.extend(t + rng.uniform(0, step, size=n))
        t += step
    return sorted(out)


def _event(rng, write: _Writer, stream: Stream, brand: Brand, e: Event, out: list[dict]) -> None:
    hourly = brand.per_day / 24
    truth = ("crisis" if e.label == "crisis" else e.kind, e.id)
    add = lambda t, text, label, **kw: out.append(_record(rng, write, stream, brand, t, text, label, truth, **kw))  # noqa: E731
    if e.kind in ("sudden", "overnight"):
        peak = max(18.0, rng.uniform(0.8, 2.5) * hourly)
        if e.kind == "overnight":  # grows until people wake up
            rate = lambda t: peak * min(1.0, 0.25 + (t - e.start) / (6 * HOUR)) * math.exp(-max(0, t - e.start - 8 * HOUR) / (2 * HOUR))  # noqa: E731
        else:
            rate = lambda t: peak * min(1.0, (t - e.start) / (20 * MINUTE) + 0.1) * math.exp(-max(0, t - e.start - 2 * HOUR) / (3 * HOUR))  # noqa: E731
        for t in _times(rng, e.start, e.end, rate):
            add(t, write.text(write.pick(CRISIS["sudden"]), brand), "negative", big=rng.random() < 0.02)
    elif e.kind == "slow_burn":
        first = max(0.6, 0.04 * hourly)
        rate = lambda t: first * 2 ** ((t - e.start) / (5 * HOUR)) if t < e.start + 30 * HOUR else 0.0  # noqa: E731
        cap = max(30.0, 1.5 * hourly)
        for t in _times(rng, e.start, e.end, lambda t: min(cap, rate(t))):
            add(t, write.text(write.pick(CRISIS["slow_burn"]), brand), "negative", big=rng.random() < 0.01)
    elif e.kind == "repost_storm":
        origin = _record(rng, write, stream, brand, e.start, write.text(write.pick(CRISIS["repost_storm"]), brand),
                         "negative", truth, author=write.author(big=True), source=SOURCES[0])
        out.append(origin)
        copies = int(rng.integers(150, 700))
        for t in _times(rng, e.start + 2 * MINUTE, e.start + 4 * HOUR,
                        lambda t: copies / 2.0 * math.exp(-(t - e.start) / (1.2 * HOUR))):
            add(t, "转发微博 //" + origin["text"], "negative", parent=origin["id"], source=SOURCES[0])
        for t in _times(rng, e.start + 10 * MINUTE, e.end, lambda t: max(4.0, 0.3 * hourly)):
            add(t, write.text(write.pick(CRISIS["sudden"][-2:] + CRISIS["repost_storm"][1:]), brand), "negative")
    elif e.kind == "escalating":  # ordinary complaints at a higher clip for a day, then the crisis
        pre = e.start - 20 * HOUR
        for t in _times(rng, pre, e.start, lambda t: max(0.4, 0.06 * hourly)):
            out.append(_record(rng, write, stream, brand, t, write.text(write.pick(COMPLAINT), brand),
                               "negative", ("benign", None)))
        peak = max(15.0, rng.uniform(0.6, 1.8) * hourly)
        for t in _times(rng, e.start, e.end, lambda t: peak * min(1.0, 0.15 + (t - e.start) / (3 * HOUR))):
            add(t, write.text(write.pick(CRISIS["escalating"]), brand), "negative", big=rng.random() < 0.01)
    elif e.kind == "spam":
        size = int(rng.integers(80, 600))
        pattern = write.pick(SPAM)
        text = write.text(pattern, brand)
        label = "negative" if "投诉" in pattern else "neutral"
        for t in np.sort(rng.uniform(e.start, e.end, size=size)):
            add(float(t), text + write.pick(("", "", "!", "～", " ")), label, bot=True)
    elif e.kind == "benign_storm":
        origin = _record(rng, write, stream, brand, e.start, write.text(write.pick(STORM_POS), brand), "positive",
                         truth, author=write.author(big=True), source=SOURCES[0])
        out.append(origin)
        copies = int(rng.integers(200, 1000))
        for t in _times(rng, e.start + MINUTE, e.end, lambda t: copies / 1.5 * math.exp(-(t - e.start) / (1.5 * HOUR))):
            add(t, "转发微博 //" + origin["text"], "positive", parent=origin["id"], source=SOURCES[0])
    elif e.kind == "competitor_crisis":
        rate = lambda t: max(3.0, 0.4 * hourly) * math.exp(-max(0, t - e.start - 4 * HOUR) / (8 * HOUR))  # noqa: E731
        for t in _times(rng, e.start, e.end, rate):
            label = "positive" if rng.random() < 0.6 else "neutral"
            add(t, write.text(write.pick(COMPARISON), brand, brand.competitor), label)
    elif e.kind == "big_account":  # a routine complaint from an account with a large following
        add(e.start, write.text(write.pick(COMPLAINT + NEGATIVE), brand), "negative", big=True)
