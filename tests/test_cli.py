"""The command line as users meet it: help, check, exit codes."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def brandmon(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_help_explains_the_commands():
    out = brandmon("--help").stdout
    for command in ("demo", "check", "crawl", "incidents", "ack", "timeline"):
        assert command in out


def test_check_accepts_the_example_config():
    proc = brandmon("check", "config.example.yaml")
    assert proc.returncode == 0, proc.stderr
    assert "ok" in proc.stdout


def test_check_exits_2_with_one_line_per_problem(tmp_path):
    bad = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    bad = bad.replace("timezone: Asia/Shanghai", "timezone: Mars/Olympus", 1).replace("interval: 10m", "interval: soon")
    bad = bad.replace("rules_dir: ./rules", f"rules_dir: {ROOT / 'rules'}")
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")
    proc = brandmon("check", str(tmp_path / "bad.yaml"))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 2
    assert any("timezone: unknown IANA time zone 'Mars/Olympus'" in line for line in lines)
    assert any("sources[0].interval:" in line for line in lines)


def test_a_missing_config_file_is_a_clear_error(tmp_path):
    proc = brandmon("check", str(tmp_path / "nope.yaml"))
    assert proc.returncode == 2
    assert "cannot read file" in proc.stderr
