"""Sources are declared, not coded: presets fill in a site engine's selectors, the source overrides any of
them, and every mistake is reported with its file, line and a reason a PR engineer can act on."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.settings import Settings

from monitor.config import ConfigError, load_settings
from spiders import settings as project
from spiders.source_settings import apply_source_settings
from tests.conftest import write_config
from tests.crawl.conftest import CONFIG_HEAD, make_source



def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    return [str(p) for p in info.value.problems]


def settings_with(tmp_path: Path, rules: Path, sources: str):
    return write_config(tmp_path, CONFIG_HEAD.format(state=tmp_path / "state", rules=rules) + sources)


def test_a_preset_with_a_base_url_and_boards_is_a_complete_forum_source(tmp_path, rules_copy):
    path = settings_with(tmp_path, rules_copy, """
  - name: xinghe-bbs
    type: forum
    options: {preset: discuz, base_url: "https://bbs.example.com/", boards: [2, 38]}
""")
    source = load_settings(path).config.source("xinghe-bbs")
    assert source.start_urls == ()
    assert source.options.post == "#postlist > div[id^=post_]"  # from the preset
    assert source.options.boards == ("2", "38") and source.options.base_url == "https://bbs.example.com"


def test_a_sources_own_option_overrides_the_preset_and_nested_blocks_merge(tmp_path, rules_copy):
    path = settings_with(tmp_path, rules_copy, """
  - name: tieba
    type: forum
    options:
      preset: tieba
      boards: [星河手机]
      max_thread_pages: 2
      nested: {text: "span.lzl_cnt"}
""")
    options = load_settings(path).config.source("tieba").options
    assert options.max_thread_pages == 2 and options.nested.text == "span.lzl_cnt"
    assert options.nested.post == "li.lzl_single_post"


@pytest.mark.parametrize("options, reason", [
    ('{preset: vbulletin, base_url: "https://a.example"}', "options: unknown preset 'vbulletin' (known: discourse, discuz, phpbb, tieba)"),
    ('{preset: discuz, boards: [2]}', "options: post_url uses {base}: set base_url"),
    ('{preset: discuz, base_url: "https://a.example", boards: [2], text: "td.t_f["}', "options: text: 'td.t_f[' is not a valid CSS selector"),
    ('{preset: discourse, base_url: "https://a.example", boards: [x], likes: "actions_summary[?id=="}', "options: likes: 'actions_summary[?id==' is not a JMESPath expression"),
    ('{preset: discuz, base_url: "https://a.example", boards: [2], post_id: "xpath:./@id >> re:(post"}', "options: post_id: '(post' is not a regular expression"),
    ('{preset: discuz, base_url: "https://a.example", boards: [2], thread_url: "{base}/t/{tid}"}', "options: thread_url: '{base}/t/{tid}' uses {tid}; allowed here: {base}, {thread}"),
    ('{preset: discuz, base_url: "https://a.example", boards: [2], threads_per_page: 20}', "options.threads_per_page: unknown key 'threads_per_page'"),
])
def test_mistakes_in_forum_options_are_reported_with_line_and_reason(tmp_path, rules_copy, options, reason):
    path = settings_with(tmp_path, rules_copy, f"""
  - name: bbs
    type: forum
    options: {options}
""")
    found = problems_of(path)
    assert len(found) == 1 and f"config.yaml:16: sources[0].{reason}" in found[0], found


@pytest.mark.parametrize("source, reason", [
    ("type: feed", "sources[0]: give start_urls, or options that name what to watch"),
    ("type: weibo\n    options: {}", "sources[0].options: set searches (keywords) or users (uids) to watch"),
    ("type: comments\n    options: {preset: bilibili}", "sources[0].options.targets: required key is missing"),
    ("type: comments\n    options: {preset: wordpress, targets: [x], url: '{target}?cpage={page}', order: oldest_first}",
     "url pages by {page}: that needs order newest_first or ranked"),
    ('type: feed\n    start_urls: ["https://a.example/rss"]\n    encoding: gbkk', "sources[0].encoding: unknown encoding 'gbkk'"),
])
def test_mistakes_in_other_source_types_are_reported_too(tmp_path, rules_copy, source, reason):
    found = problems_of(settings_with(tmp_path, rules_copy, f"\n  - name: s\n    {source}\n"))
    assert any(reason in p for p in found), found


def test_cookies_for_logged_in_pages_come_from_the_environment(tmp_path, rules_copy, monkeypatch):
    monkeypatch.setenv("WEIBO_COOKIE", "SUB=abc; SUBP=def")
    path = settings_with(tmp_path, rules_copy, """
  - name: weibo
    type: weibo
    cookies: "${WEIBO_COOKIE:-}"
    options: {searches: [星河手机]}
""")
    assert load_settings(path).config.source("weibo").cookies == "SUB=abc; SUBP=def"


def test_a_sources_politeness_settings_reach_scrapy_over_the_project_defaults():
    settings = Settings({k: getattr(project, k) for k in dir(project) if k.isupper()})
    source = make_source("w", "weibo", {"searches": ["星河"]}, concurrency=1, delay="2s", timeout="8s", retries=4,
                         obey_robots=False, encoding="gb18030", headers={"Referer": "https://m.weibo.cn/"})
    apply_source_settings(settings, source, json_pages=True)
    assert (settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), settings.getfloat("DOWNLOAD_DELAY"),
            settings.getfloat("DOWNLOAD_TIMEOUT"), settings.getint("RETRY_TIMES")) == (1, 2.0, 8.0, 4)
    assert settings.getbool("ROBOTSTXT_OBEY") is False and settings["BRANDMON_ENCODING"] == "gb18030"
    headers = settings.getdict("DEFAULT_REQUEST_HEADERS")
    assert headers["Referer"] == "https://m.weibo.cn/" and headers["Accept"].startswith("application/json")
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
