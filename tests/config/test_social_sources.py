"""Social and complaint sources as a config file declares them, judged by `brandmon check`."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

SOURCES = """
  - name: xhs-watch
    type: social
    platform: xiaohongshu
    options: {preset: xiaohongshu, keywords: [星河手机]}
  - name: douyin-watch
    type: social
    platform: douyin
    options: {preset: douyin, keywords: [星河手机], creators: ["MS4wLjABAAAAAI3oSIRdM9cE"]}
  - name: zhihu-watch
    type: social
    platform: zhihu
    options: {preset: zhihu, keywords: [星河手机]}
  - name: kuaishou-watch
    type: social
    options: {preset: kuaishou, keywords: [星河手机]}
  - name: toutiao-watch
    type: social
    options: {preset: toutiao, keywords: [星河手机]}
  - name: xhs-comments
    type: comments
    options: {preset: xiaohongshu, targets: ["6447b072000000002700297d"]}
  - name: zhihu-comments
    type: comments
    options: {preset: zhihu, targets: ["1936787046304842491"]}
  - name: heimao
    type: complaints
    platform: heimao
    options: {preset: heimao, keywords: [星河手机]}
"""


def config_with(tmp_path, sources: str):
    text = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    head = text.replace("\nsources:\n", "\nsources:" + sources, 1)  # ahead of the example's own sources
    head = head.replace("rules_dir: ./rules", f"rules_dir: {ROOT / 'rules'}")
    path = tmp_path / "brandmon.yaml"
    path.write_text(head, encoding="utf-8")
    return path


def check(path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor", "check", str(path)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_a_config_with_every_platform_preset_passes_check(tmp_path):
    proc = check(config_with(tmp_path, SOURCES))
    assert proc.returncode == 0, proc.stderr


def test_a_social_source_with_nothing_to_watch_or_an_unknown_preset_is_named_with_its_reason(tmp_path):
    bad = """
  - name: empty
    type: social
    options: {preset: douyin}
  - name: unknown
    type: complaints
    options: {preset: tousu-elsewhere, keywords: [星河]}
"""
    proc = check(config_with(tmp_path, bad))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 2
    assert "sources[0].options" in lines[0] and "set keywords (or creators) to watch" in lines[0]
    assert "sources[1].options" in lines[1] and "unknown preset 'tousu-elsewhere' (known: heimao)" in lines[1]


def test_a_login_or_sign_page_that_is_no_web_address_is_named_by_check(tmp_path):
    sources = """
  - name: xhs-watch
    type: social
    options:
      preset: xiaohongshu
      keywords: [星河手机]
      sign: {page: "{host}/explore"}
      login: {page: "file:///etc/passwd"}
"""
    proc = check(config_with(tmp_path, sources))
    assert proc.returncode == 2
    problems = [line.split(": ", 1)[1] for line in proc.stderr.splitlines()]  # after "FILE:LINE: "
    assert problems == ["sources[0].options.sign.page: '{host}/explore' uses {host}; allowed here: {base}",
                        "sources[0].options.login.page: 'file:///etc/passwd' is not an http(s) URL (or {base}/…)"]
