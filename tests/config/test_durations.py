from datetime import timedelta

import pytest

from monitor.config.durations import format_duration, parse_duration


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400),
                                           ("1h30m", 5400), (45, 45), ("500ms", 0.5)])
def test_durations_parse_from_human_text(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "soon", "5 minutes", "10x", "m5", True])
def test_nonsense_durations_are_refused(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_durations_format_back_to_the_largest_whole_unit():
    assert format_duration(timedelta(minutes=30)) == "30m"
    assert format_duration(timedelta(seconds=90)) == "90s"
