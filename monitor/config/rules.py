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


class MentionFilter(Strict):
    """Which mentions a rule counts; empty means all."""

    sentiment: tuple[Literal["negative", "neutral", "positive"], ...] = ()
    sources: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


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


class SpikeRule(RuleBase):
    """Matching mentions in the latest window against the average window of a longer baseline."""

    type: Literal["spike"]
    window: Duration = timedelta(minutes=10)
    baseline: Duration = timedelta(hours=6)
    min_count: int = Field(default=5, ge=1)
    ratio: float = Field(default=3.0, gt=1)

    @model_validator(mode="after")
    def _baseline_longer(self) -> "SpikeRule":
        if self.baseline < self.window * 2:
            raise ValueError("baseline must be at least twice the window")
        return self


class KeywordRule(RuleBase):
    """Mentions carrying crisis terms (the built-in lexicon unless keywords are given)."""

    type: Literal["keyword"]
    keywords: tuple[str, ...] = ()
    window: Duration = timedelta(minutes=30)
    min_count: int = Field(default=1, ge=1)


RULE_TYPES: dict[str, type[RuleBase]] = {"spike": SpikeRule, "keyword": KeywordRule}
Rule = SpikeRule | KeywordRule


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
