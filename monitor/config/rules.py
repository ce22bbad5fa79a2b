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


class SpikeRule(Grouped):
    """Counts per bucket against a seasonal baseline (same slot of the week or day), persisted in the store.

    Fires when the latest `consecutive` buckets each hold at least `min_count`, at least `ratio` times the
    expected count (plus `pseudo_count`, so an empty baseline is never divided by) and a count that a
    Poisson process at that rate reaches with probability at most `p_value`.
    """

    type: Literal["spike"]
    bucket: Duration = timedelta(hours=1)
    season: Literal["week", "day", "none"] = "week"
    history: Duration = timedelta(weeks=4)
    warmup: Duration = timedelta(weeks=1)
    smoothing: float = Field(default=0.3, gt=0, le=1)
    pseudo_count: float = Field(default=1.0, gt=0)
    p_value: float = Field(default=0.001, gt=0, lt=1)
    min_count: int = Field(default=5, ge=1)
    ratio: float = Field(default=2.0, ge=1)
    consecutive: int = Field(default=1, ge=1, le=24)

    @model_validator(mode="after")
    def _fits_the_season(self) -> "SpikeRule":
        season = SEASONS[self.season]
        if self.bucket < timedelta(minutes=1):
            raise ValueError("bucket must be at least 1m")
        if season is not None and season % self.bucket:
            raise ValueError(f"bucket must divide the season ({self.season}) evenly")
        if self.history < self.bucket * 2:
            raise ValueError("history must hold at least two buckets")
        return self


class ThresholdRule(Grouped):
    """At least `min_count` matching mentions in the last `window`."""

    type: Literal["threshold"]
    window: Duration = timedelta(hours=1)
    min_count: int = Field(ge=1)


class KeywordRule(RuleBase):
    """Mentions carrying crisis terms (the built-in lexicon unless keywords are given)."""

    type: Literal["keyword"]
    keywords: tuple[str, ...] = ()
    window: Duration = timedelta(minutes=30)
    min_count: int = Field(default=1, ge=1)


class InfluencerRule(RuleBase):
    """A matching mention (negative by default) by an author with a large audience or a post with reach."""

    type: Literal["influencer"]
    filter: MentionFilter = MentionFilter(sentiment=("negative",))
    window: Duration = timedelta(hours=1)
    min_followers: int | None = Field(default=None, ge=1)
    min_engagement: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one_bar(self) -> "InfluencerRule":
        if self.min_followers is None and self.min_engagement is None:
            raise ValueError("set min_followers, min_engagement or both")
        return self


class SentimentShareRule(RuleBase):
    """The share of one sentiment among a brand's mentions in `window`, once there are `min_volume` of them."""

    type: Literal["sentiment_share"]
    sentiment: Literal["negative", "neutral", "positive"] = "negative"
    window: Duration = timedelta(hours=1)
    share: float = Field(gt=0, lt=1)
    min_volume: int = Field(default=20, ge=1)

    @field_validator("filter")
    @classmethod
    def _no_sentiment_filter(cls, value: MentionFilter) -> MentionFilter:
        if value.sentiment:
            raise ValueError("a sentiment_share rule sets 'sentiment', not filter.sentiment")
        return value


class FlatlineRule(RuleBase):
    """A source (or a brand) that used to be heard has gone silent: the crawler is probably blocked."""

    type: Literal["flatline"]
    of: Literal["source", "brand"] = "source"
    window: Duration = timedelta(hours=2)
    max_count: int = Field(default=0, ge=0)
    baseline: Duration = timedelta(days=1)
    min_baseline: int = Field(default=10, ge=1)

    @model_validator(mode="after")
    def _baseline_longer(self) -> "FlatlineRule":
        if self.baseline <= self.window:
            raise ValueError("baseline must be longer than the window")
        return self


class NewTopicRule(RuleBase):
    """Keywords with `min_count` mentions in `window` and at least `ratio` times fewer over the whole `baseline`."""

    type: Literal["new_topic"]
    window: Duration = timedelta(hours=1)
    baseline: Duration = timedelta(days=7)
    min_count: int = Field(default=5, ge=1)
    ratio: float = Field(default=5.0, gt=1)
    candidates: int = Field(default=10, ge=1, le=50)

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
