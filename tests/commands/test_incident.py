"""`brandmon ack / resolve / assign / note`: one line per change (`ID: state, owner`), names and notes kept to
one clean line, an unknown incident exits 1."""

from __future__ import annotations


import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.config import load_settings
from monitor.store import open_store
from tests.conftest import config_with_open_incident


@pytest.fixture
def config(tmp_path):
    return str(config_with_open_incident(tmp_path))


def brandmon(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def timeline(config: str) -> list[tuple[str, str | None, str]]:
    store = open_store(load_settings(config).config)
    try:
        return [(e.kind, e.actor, e.detail) for e in store.events("INC-1")]
    finally:
        store.close()


def test_each_change_prints_the_incident_id_its_state_and_its_owner(config):
    assert brandmon("assign", "INC-1", "--to", "张经理", "--by", "值班", "-c", config).output == "INC-1: open, 张经理\n"
    assert brandmon("ack", "INC-1", "--by", "小王", "-c", config).output == "INC-1: acked, 张经理\n"
    assert brandmon("note", "INC-1", "已发布声明", "--by", "小王", "-c", config).output == "INC-1: acked, 张经理\n"


def test_names_and_notes_from_the_shell_are_kept_to_one_clean_line(config):
    brandmon("ack", "INC-1", "--by", "小王\n[ERROR] forged", "--note", "已联系\n# 标题 | 表格", "-c", config)
    assert timeline(config) == [("acked", "小王 ERROR forged", "已确认，停止升级：已联系 标题 表格")]


def test_an_unknown_incident_exits_1_and_says_which(config):
    result = CliRunner().invoke(main, ["resolve", "INC-404", "-c", config])
    assert result.exit_code == 1 and "INC-404" in result.output
