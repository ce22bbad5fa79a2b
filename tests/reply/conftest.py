"""The demo's local site crawled by the real spiders into a fresh store, with 星河手机's official
account set to 阿杰, who posts in thread 107 after 技术宅's complaint."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from string import Template

import pytest

from monitor.demo.site import DemoSite
from tests.conftest import ROOT
from tests.es.node import elastic_store, es, es_prefix, es_url, store  # noqa: F401  (fixtures)

DEMO_RULES = ROOT / "monitor" / "demo" / "rules"

CONFIG = Template("""
timezone: Asia/Shanghai
state_dir: $state
brands:
  - name: 星河手机
    aliases: [星河X5, 星河]
    exclude: [星河湾, 银河]
    competitors: [极光手机]
    official_accounts:
      forum: [阿杰]
  - name: 云朵奶茶
    aliases: [云朵]
sources:
  - name: demo-forum
    type: forum
    platform: forum
    start_urls: ["$site/forum"]
    allow_networks: ["127.0.0.0/8"]
    options:
      thread_links: "li.thread a.title::attr(href)"
      next_page: "a.next::attr(href)"
      title: "h1.subject::text"
      post: "div.post"
      post_id: "::attr(data-pid)"
      author: ".author::text"
      time: ".time::text"
      text: ".content"
      thread_next_page: "a.next::attr(href)"
channels:
  console: "console://"
  pr_oncall: "console://"
  pr_manager: "console://"
rules_dir: $rules
reply:
  escalate: $escalate
""")


def crawl_demo(folder: Path, escalate: bool = False, burst: bool = True, rules: Path = DEMO_RULES) -> Path:
    """Crawl the demo forum (calm, then with the burst) into folder/state with `brandmon crawl --once`
    (a process of its own: Twisted's reactor runs once per process); return the config path."""
    site = DemoSite().start()
    try:
        path = folder / "config.yaml"
        path.write_text(CONFIG.substitute(state=folder / "state", site=site.url, rules=rules,
                                          escalate=str(escalate).lower()), encoding="utf-8")
        for round_ in ("calm", "burst") if burst else ("calm",):
            site.burst = round_ == "burst"
            proc = brandmon("crawl", "--once", "-c", str(path), "--json")
            assert proc.returncode == 0, proc.stderr[-2000:]
    finally:
        site.stop()
    return path


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> Path:
    return crawl_demo(tmp_path_factory.mktemp("reply"))


def brandmon(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(ROOT)})


def queue_json(config: Path, *extra: str) -> dict:
    proc = brandmon("queue", "-c", str(config), "--json", *extra)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])

