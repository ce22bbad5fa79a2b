"""Typed rule and playbook definitions, one schema per rule type."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from monitor.config.durations import Duration
from monitor.config.model import Strict

Severity = Literal["info", "warning", "critical"]
SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}
SENTIMENTS = ("negative", "neutral", "positive")
SEASONS = {"week": timedelta(weeks=1), "day": timedelta(days=1), "none": None}


class MentionFilter(Strict):
    """Which mentions a rule counts; empty means all."""

    sentiment: tuple[Literal["negative", "neutral", "positive"], ...] = ()
    sources: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    category: tuple[str, ...] = ()  # complaint categories, any of them: [安全, 食品安全]


class RuleBase(Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    type: str
    description: str = ""
    enabled: bool = True
    brands: Literal["all"] | tuple[str, ...] = "all"
    severity: Severity = "warning"
    playbook: str | None = None
    filter: MentionFilter = MentionFilter()
    examples: int = Field(default=3, ge=0, le=20)

    @property
    def playbook_name(self) -> str:
        return self.playbook or self.severity


class Grouped(RuleBase):
    """A rule that may fire separately per source or platform (the group key of its fingerprint)."""

    group_by: Literal["source", "platform"] | None = None


class Seasonal(Strict):
    """A rule that learns what is normal for each brand: counts per `bucket` against the same slot of the
    week (or day), persisted in the store, with no alarms until `warmup` of history.

    A count is unusual when it holds at least `min_count`, at least `ratio` times the expected count
    (plus `pseudo_count`, so an empty baseline is never divided by), and a Poisson process widened by
    the brand's measured over-dispersion reaches it with probability at most `p_value`. Each of the
    `windows` (ending now, default one bucket) is judged against the same baseline, so a 15-minute
    window catches a sudden crisis and a 6-hour one a slow burn. `count: stories` counts a repost
    storm or a copy-paste wave once (distinct clusters), `authors` counts distinct authors (one account
    posting forty times, or a bot farm reusing a few), `mentions` counts every copy.
    """

    bucket: Duration = timedelta(hours=1)
    season: Literal["week", "day", "none"] = "week"
    history: Duration = timedelta(weeks=4)
    warmup: Duration = timedelta(weeks=1)
    smoothing: float = Field(default=0.3, gt=0, le=1)
    pseudo_count: float = Field(default=1.0, gt=0)
    p_value: float = Field(default=0.001, gt=0, lt=1)
    min_count: int = Field(default=5, ge=1)
    ratio: float = Field(default=2.0, ge=1)
    windows: tuple[Duration, ...] = ()
    count: Literal["mentions", "stories", "authors"] = "mentions"

    @model_validator(mode="after")
    def _fits_the_season(self):
        season = SEASONS[self.season]
        if self.bucket < timedelta(minutes=1):
            raise ValueError("bucket must be at least 1m")
        if season is not None and season % self.bucket:
            raise ValueError(f"bucket must divide the season ({self.season}) evenly")
        if self.history < self.bucket * 2:
            raise ValueError("history must hold at least two buckets")
        if any(w < timedelta(minutes=1) or w > self.history / 2 for w in self.windows):
            raise ValueError("each window must be at least 1m and at most half the history")
        return self

    @property
    def judged(self) -> tuple[timedelta, ...]:
        return self.windows or (self.bucket,)


class SpikeRule(Grouped, Seasonal):
    """Matching mentions (negative by default in the shipped rules) against the brand's seasonal baseline.

    With `share_lift`, the matching share of all the brand's mentions in the window must also rise above
    its own normal share s₀ to at least s₀ + share_lift·(1 − s₀), beyond chance (binomial, at most
    `share_p_value`): a launch or 双11 that brings more of everything, complaints included in about their
    usual proportion, is busy but not a crisis. With `paste_once`, an anomalous window is judged again
    with its biggest pasted story (copies without a parent post: a spam wave) counted once.
    """

    type: Literal["spike"]
    consecutive: int = Field(default=1, ge=1, le=24)
    share_lift: float | None = Field(default=None, gt=0, lt=1)
    share_p_value: float = Field(default=1.0, gt=0, le=1)
    paste_once: bool = False

    @model_validator(mode="after")
    def _one_way_of_sliding(self) -> "SpikeRule":
        if self.consecutive > 1 and self.windows:
            raise ValueError("consecutive buckets and windows do not combine; use one")
        if self.paste_once and (self.count != "mentions" or self.consecutive > 1):
            raise ValueError("paste_once re-counts the judged windows' mentions: it needs count: mentions and windows")
        return self


class ThresholdRule(Grouped):
    """At least `min_count` matching mentions in the last `window`."""

    type: Literal["threshold"]
    window: Duration = timedelta(hours=1)
    min_count: int = Field(ge=1)


class KeywordRule(RuleBase, Seasonal):
    """Mentions carrying crisis terms (the built-in lexicon unless keywords are given).

    `against: baseline` (as the shipped rule does) judges them against the brand's own normal rate of
    them, like a spike: a brand with 400 mentions a day always has some 投诉 and 退款. `against: terms`
    judges each term against the brand's own share of it (monitor/detect/term_rates.py: 维权 that the
    brand never hears counts from its second or third story, 投诉 only far above its usual share). `against: fixed`
    (the default, for rules written before) fires on `min_count` in `window`, whatever is normal.
    `own_crisis` (with keywords) also wants a crisis term said of the brand itself, so "华为起火事件后，
    小米销量要涨了" is not 小米's fire (the NLP stage drops crisis terms of a competitor's clause).
    """

    type: Literal["keyword"]
    keywords: tuple[str, ...] = ()
    own_crisis: bool = False
    against: Literal["baseline", "terms", "fixed"] = "fixed"
    window: Duration = timedelta(minutes=30)
    # terms only: the pooled count's over-dispersion (variance μ + dispersion·μ²): complaints come in clumps
    dispersion: float = Field(default=0.5, ge=0)


class InfluencerRule(RuleBase):
    """A matching mention (negative by default) by an author with a large audience or a post with reach.

    The bars are the brand's own: a mention counts when its followers (or engagement: likes, comments and
    reposts) reach `factor` times the brand's `quantile` of matching mentions over `history`, and at least
    `min_followers` (`min_engagement`). Until `warmup` of history, the fixed minimums alone decide.
    """

    type: Literal["influencer"]
    filter: MentionFilter = MentionFilter(sentiment=("negative",))
    window: Duration = timedelta(hours=1)
    min_followers: int | None = Field(default=None, ge=1)
    min_engagement: int | None = Field(default=None, ge=1)
    relative: bool = True
    quantile: float = Field(default=0.999, gt=0.5, lt=1)
    factor: float = Field(default=2.0, ge=1)
    history: Duration = timedelta(weeks=2)
    warmup: Duration = timedelta(weeks=1)

    @model_validator(mode="after")
    def _one_bar(self) -> "InfluencerRule":
        if self.min_followers is None and self.min_engagement is None:
            raise ValueError("set min_followers, min_engagement or both")
        return self


class SentimentShareRule(RuleBase):
    """The share of one sentiment among a brand's mentions in `window`, once there are `min_volume` of them.

    With `lift`, the share is judged against the brand's own share over `history`: it must reach
    s₀ + lift·(1 − s₀) (and `share`), and a binomial test at s₀ must give at most `p_value`, so a brand
    whose normal negative share is 40 % is not flagged every evening.
    """

    type: Literal["sentiment_share"]
    sentiment: Literal["negative", "neutral", "positive"] = "negative"
    window: Duration = timedelta(hours=1)
    share: float = Field(gt=0, lt=1)
    min_volume: int = Field(default=20, ge=1)
    lift: float | None = Field(default=None, gt=0, lt=1)
    p_value: float = Field(default=0.001, gt=0, lt=1)
    history: Duration = timedelta(weeks=2)
    warmup: Duration = timedelta(weeks=1)

    @field_validator("filter")
    @classmethod
    def _no_sentiment_filter(cls, value: MentionFilter) -> MentionFilter:
        if value.sentiment:
            raise ValueError("a sentiment_share rule sets 'sentiment', not filter.sentiment")
        return value


class FlatlineRule(RuleBase):
    """A source (or a brand) that used to be heard has gone silent: the crawler is probably blocked.

    `of: source` reads the crawl's health: blocked, or failing, for `window`; or crawling fine but with
    nothing new for `window` while the source's own rhythm (its mentions per hour of the week) makes such
    a silence less likely than `p_value`. `of: brand` counts the brand's mentions as before.
    """

    type: Literal["flatline"]
    of: Literal["source", "brand"] = "source"
    window: Duration = timedelta(hours=2)
    max_count: int = Field(default=0, ge=0)
    baseline: Duration = timedelta(days=1)
    min_baseline: int = Field(default=10, ge=1)
    p_value: float = Field(default=0.001, gt=0, lt=1)
    warmup: Duration = timedelta(weeks=1)

    @model_validator(mode="after")
    def _baseline_longer(self) -> "FlatlineRule":
        if self.baseline <= self.window:
            raise ValueError("baseline must be longer than the window")
        return self


class NewTopicRule(RuleBase):
    """Keywords with `min_count` mentions (and, with `count: stories`, stories) in `window` and at least `ratio`
    times fewer over the whole `baseline`."""

    type: Literal["new_topic"]
    window: Duration = timedelta(hours=1)
    baseline: Duration = timedelta(days=7)
    min_count: int = Field(default=5, ge=1)
    ratio: float = Field(default=5.0, gt=1)
    candidates: int = Field(default=10, ge=1, le=50)
    warmup: Duration | None = None  # default: the baseline period
    # stories: the term must also be in min_count distinct stories (a pasted ad or one reposted post is one)
    count: Literal["mentions", "stories"] = "mentions"

    @model_validator(mode="after")
    def _baseline_longer(self) -> "NewTopicRule":
        if self.baseline < self.window * 2:
            raise ValueError("baseline must be at least twice the window")
        return self


RULE_TYPES: dict[str, type[RuleBase]] = {
    "spike": SpikeRule, "threshold": ThresholdRule, "keyword": KeywordRule, "influencer": InfluencerRule,
    "sentiment_share": SentimentShareRule, "flatline": FlatlineRule, "new_topic": NewTopicRule,
}
Rule = SpikeRule | ThresholdRule | KeywordRule | InfluencerRule | SentimentShareRule | FlatlineRule | NewTopicRule


class Step(Strict):
    after: Duration = timedelta(0)
    notify: tuple[str, ...] = Field(min_length=1)


class Playbook(Strict):
    """Ordered escalation steps; acknowledging the incident stops them."""

    name: str
    description: str = ""
    steps: tuple[Step, ...] = Field(min_length=1)
    repeat: int = Field(default=0, ge=0, le=10)
    repeat_interval: Duration = timedelta(minutes=30)
    resolve_after: Duration = timedelta(hours=1)

    @field_validator("steps")
    @classmethod
    def _ordered(cls, steps: tuple[Step, ...]) -> tuple[Step, ...]:
        for before, after in zip(steps, steps[1:]):
            if after.after < before.after:
                raise ValueError("steps must be in order of their 'after' delay")
        return steps

    @property
    def channels(self) -> set[str]:
        return {c for step in self.steps for c in step.notify}
