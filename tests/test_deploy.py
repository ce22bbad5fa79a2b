"""The systemd unit as systemd reads it: rate limits in [Unit], a stop timeout above the daemon's grace."""

from __future__ import annotations

import configparser

from monitor.config.model import DaemonConfig
from tests.conftest import ROOT


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(ROOT / "deploy" / "brandmon.service", encoding="utf-8")
    return parser


def test_the_start_rate_limit_is_in_the_unit_section_where_systemd_reads_it():
    parsed = unit()
    assert parsed["Unit"]["StartLimitIntervalSec"] == "300" and parsed["Unit"]["StartLimitBurst"] == "5"
    assert "StartLimitIntervalSec" not in parsed["Service"] and "StartLimitBurst" not in parsed["Service"]


def test_systemd_waits_longer_than_the_default_shutdown_grace_before_killing():
    stop = int(unit()["Service"]["TimeoutStopSec"])
    assert stop > DaemonConfig().shutdown_grace.total_seconds()
