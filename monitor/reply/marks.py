"""What people did with a queued mention (assigned, handled with a note, snoozed), kept as named state
`reply:<mention id>` so both stores hold it without a schema of their own."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from monitor.clock import utc
from monitor.store.base import Store

PREFIX = "reply:"


@dataclass(frozen=True)
class Mark:
    mention_id: str
    assignee: str | None = None
    handled_at: datetime | None = None
    handled_by: str | None = None
    note: str | None = None
    snoozed_until: datetime | None = None
    history: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("handled_at", "snoozed_until"):
            d[key] = utc(d[key]).isoformat() if d[key] else None
        d["history"] = list(self.history)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Mark":
        d = dict(d)
        for key in ("handled_at", "snoozed_until"):
            d[key] = utc(datetime.fromisoformat(d[key])) if d.get(key) else None
        d["history"] = tuple(d.get("history") or ())
        return cls(**d)


def load_marks(store: Store, mention_ids: list[str]) -> dict[str, Mark]:
    values = store.get_states([PREFIX + i for i in mention_ids])
    return {k[len(PREFIX):]: Mark.from_dict(v) for k, v in values.items() if v}


def save_mark(store: Store, mark: Mark) -> None:
    store.put_state(PREFIX + mark.mention_id, mark.to_dict())
