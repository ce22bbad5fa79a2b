from datetime import datetime, timedelta, timezone

from monitor.alerting.playbook import due_steps, freeze, schedule, thaw
from monitor.config.rules import Playbook

OPENED = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
PLAYBOOK = Playbook.model_validate({"name": "critical", "repeat": 1, "repeat_interval": "30m", "steps": [
    {"notify": ["oncall"]}, {"after": "15m", "notify": ["oncall", "lead"]}]})


def test_steps_fall_due_after_their_delay():
    assert [s.key for s in due_steps(PLAYBOOK, OPENED, OPENED)] == ["0.0"]
    assert [s.key for s in due_steps(PLAYBOOK, OPENED, OPENED + timedelta(minutes=15))] == ["0.0", "0.1"]


def test_a_repeat_restarts_the_steps_after_the_last_one_plus_the_interval():
    times = {s.key: s.due_at - OPENED for s in schedule(PLAYBOOK, OPENED)}
    assert times == {"0.0": timedelta(0), "0.1": timedelta(minutes=15),
                     "1.0": timedelta(minutes=45), "1.1": timedelta(minutes=60)}


def test_a_frozen_playbook_thaws_unchanged():
    assert thaw(freeze(PLAYBOOK)) == PLAYBOOK
