"""What the `brandmon` command loads before it acts: `--help` nothing heavy, `ack` no NLP (speed is in bench/cli.py)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT, config_with_open_incident

HEAVY_FOR_HELP = {"pydantic", "apprise", "matplotlib", "jieba", "sklearn", "scrapy", "elasticsearch", "yaml"}
NLP = {"monitor.nlp.sentiment", "monitor.nlp.pipeline", "sklearn", "jieba", "snownlp", "scrapy", "twisted"}


def imported(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "monitor", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    names = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    return proc, names


def test_help_loads_no_config_models_no_channels_and_no_nlp():
    proc, names = imported("--help")
    assert proc.returncode == 0 and "queue" in proc.stdout and "postmortem" in proc.stdout
    assert not {n.split(".")[0] for n in names} & HEAVY_FOR_HELP


def test_acknowledging_an_incident_changes_one_row_without_loading_nlp_models(tmp_path):
    config = config_with_open_incident(tmp_path)
    proc, names = imported("ack", "INC-1", "--by", "小王", "-c", str(config))
    assert proc.returncode == 0 and proc.stdout.strip() == "INC-1: acked, 小王"  # ID: state, owner
    assert not names & NLP and not {n.split(".")[0] for n in names} & NLP


def test_the_overview_follows_a_chinese_locale_and_stays_english_otherwise():
    import os

    def overview(lang: str) -> str:
        env = {**os.environ, "LANG": lang, "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""}
        env.pop("BRANDMON_LANG", None)
        return subprocess.run([sys.executable, "-m", "monitor", "--help"], capture_output=True, text=True, cwd=ROOT,
                              timeout=300, env=env).stdout

    zh = overview("zh_CN.UTF-8")
    assert zh.splitlines()[2].strip().startswith("brandmon：监测论坛")
    assert any(line.split()[:1] == ["queue"] and "回复队列" in line for line in zh.splitlines())
    assert overview("en_US.UTF-8").splitlines()[2].strip().startswith("brandmon: watch forums")
