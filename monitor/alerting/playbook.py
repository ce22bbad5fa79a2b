"""Escalation schedules: which playbook steps fall due, and when, for an incident."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.config.rules import Playbook


@dataclass(frozen=True)
class DueStep:
    key: str
    index: int
    round: int
    channels: tuple[str, ...]
    due_at: datetime
    wave: int = 0  # re-notifications of a grown incident start the steps again

    @property
    def label(self) -> str:
        text = "首次通知" if self.index == 0 else f"第 {self.index} 级升级"
        if self.wave:
            text = f"再次通知（事态扩大，第 {self.wave} 次）" if self.index == 0 else f"{text}（第 {self.wave} 次扩大后）"
        return text if self.round == 0 else f"{text}，第 {self.round} 次重复"


def freeze(playbook: Playbook) -> dict[str, Any]:
    """The playbook as plain data, stored on the incident so later edits do not change a running escalation."""
    return {
        "name": playbook.name,
        "steps": [{"after": s.after.total_seconds(), "notify": list(s.notify)} for s in playbook.steps],
        "repeat": playbook.repeat,
        "repeat_interval": playbook.repeat_interval.total_seconds(),
        "resolve_after": playbook.resolve_after.total_seconds(),
    }


def thaw(data: dict[str, Any]) -> Playbook:
    return Playbook.model_validate(data)


def schedule(playbook: Playbook, opened_at: datetime, wave: int = 0) -> list[DueStep]:
    """Every step of every round: a round restarts the steps after the last one plus repeat_interval.
    A re-notification wave has keys of its own ("w1/0.0"), so the log sends it once too."""
    cycle = playbook.steps[-1].after + playbook.repeat_interval
    prefix = f"w{wave}/" if wave else ""
    return [
        DueStep(key=f"{prefix}{r}.{i}", index=i, round=r, channels=step.notify,
                due_at=opened_at + r * cycle + step.after, wave=wave)
        for r in range(playbook.repeat + 1)
        for i, step in enumerate(playbook.steps)
    ]


def due_steps(playbook: Playbook, opened_at: datetime, now: datetime, wave: int = 0) -> list[DueStep]:
    return [s for s in schedule(playbook, opened_at, wave) if s.due_at <= now]
