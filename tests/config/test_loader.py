from pathlib import Path

import pytest

from monitor.config import ConfigError, load_settings
from tests.conftest import ROOT, write_config

MINIMAL = """
brands:
  - name: 小米
    aliases: [Xiaomi]
channels:
  console: "console://"
  pr_oncall: "json://127.0.0.1:9/hook"
  pr_manager: "json://127.0.0.1:9/lead"
rules_dir: {rules}
"""


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    return [str(p) for p in info.value.problems]


def test_the_example_config_is_sound():
    settings = load_settings(ROOT / "config.example.yaml")
    assert [b.name for b in settings.config.brands][:1] == ["小米"]
    assert {r.name for r in settings.rules} >= {"negative_spike", "crisis_keyword"}
    assert settings.config.zone.key == "Asia/Shanghai"


def test_a_misspelt_key_is_named_with_its_file_and_line(tmp_path, rules_copy):
    text = MINIMAL.format(rules=rules_copy).replace("channels:", "timezon: UTC\nchannels:")
    found = problems_of(write_config(tmp_path, text))
    assert found == [f"{tmp_path / 'config.yaml'}:5: timezon: unknown key 'timezon'"]


def test_a_wrong_type_and_a_bad_duration_are_both_reported(tmp_path, rules_copy):
    text = MINIMAL.format(rules=rules_copy) + """
evaluate_every: soon
sources:
  - name: feed
    type: feed
    start_urls: "not a list"
"""
    found = "\n".join(problems_of(write_config(tmp_path, text)))
    assert "evaluate_every: expected a duration" in found
    assert "sources[0].start_urls:" in found


def test_bulk_concurrency_defaults_to_two_requests_and_zero_is_refused_with_its_line(tmp_path, rules_copy):
    store = "store:\n  backend: elasticsearch\n  elasticsearch:\n    url: http://127.0.0.1:9200\n"
    settings = load_settings(write_config(tmp_path, MINIMAL.format(rules=rules_copy) + store))
    assert settings.config.store.elasticsearch.bulk_concurrency == 2
    path = write_config(tmp_path, MINIMAL.format(rules=rules_copy) + store + "    bulk_concurrency: 0\n")
    line = path.read_text(encoding="utf-8").splitlines().index("    bulk_concurrency: 0") + 1
    assert problems_of(path) == [f"{path}:{line}: store.elasticsearch.bulk_concurrency: "
                                 "Input should be greater than or equal to 1"]


def test_a_missing_rules_folder_is_named(tmp_path):
    found = problems_of(write_config(tmp_path, MINIMAL.format(rules="./no-such-rules")))
    assert any("rules_dir: rules folder" in p and "does not exist" in p for p in found)


def test_an_unknown_channel_in_a_playbook_points_at_the_playbook_line(tmp_path, rules_copy):
    rules_copy.joinpath("playbooks.yaml").write_text(
        "critical:\n  steps:\n    - notify: [console]\n"
        "warning:\n  steps:\n    - notify: [console, pager]\n", encoding="utf-8")
    found = problems_of(write_config(tmp_path, MINIMAL.format(rules=rules_copy)))
    assert found == [f"{rules_copy / 'playbooks.yaml'}:6: warning.steps[0].notify[1]: unknown channel 'pager' "
                     "(defined: console, pr_oncall, pr_manager)"]


def test_rule_options_are_checked_against_their_own_type(tmp_path, rules_copy):
    rules_copy.joinpath("negative_spike.yaml").write_text(
        "type: spike\nseverity: critical\nwindow: 10m\nbaseline: 1h\nthreshold: 4\n", encoding="utf-8")
    found = "\n".join(problems_of(write_config(tmp_path, MINIMAL.format(rules=rules_copy))))
    assert "negative_spike.yaml:5: threshold: unknown key 'threshold'" in found


def test_a_spike_bucket_must_divide_its_season(tmp_path, rules_copy):
    rules_copy.joinpath("negative_spike.yaml").write_text(
        "type: spike\nseverity: critical\nbucket: 7h\nseason: day\n", encoding="utf-8")
    found = "\n".join(problems_of(write_config(tmp_path, MINIMAL.format(rules=rules_copy))))
    assert "bucket must divide the season (day) evenly" in found


def test_unknown_rule_type_lists_the_known_ones(tmp_path, rules_copy):
    rules_copy.joinpath("odd.yaml").write_text("type: sometimes\n", encoding="utf-8")
    found = "\n".join(problems_of(write_config(tmp_path, MINIMAL.format(rules=rules_copy))))
    assert "odd.yaml:1: type: unknown rule type 'sometimes' (known: spike, threshold, keyword, influencer, sentiment_share, flatline, new_topic)" in found


def test_environment_variables_fill_secrets_and_missing_ones_are_errors(tmp_path, rules_copy, monkeypatch):
    text = MINIMAL.format(rules=rules_copy).replace('"json://127.0.0.1:9/hook"', '"json://127.0.0.1:9/${HOOK_PATH}"')
    monkeypatch.setenv("HOOK_PATH", "secret-path")
    settings = load_settings(write_config(tmp_path, text))
    assert settings.config.channel_urls("pr_oncall") == ("json://127.0.0.1:9/secret-path",)
    monkeypatch.delenv("HOOK_PATH")
    assert any("environment variable HOOK_PATH is not set" in p for p in problems_of(tmp_path / "config.yaml"))


def test_forum_sources_need_their_selectors(tmp_path, rules_copy):
    text = MINIMAL.format(rules=rules_copy) + """
sources:
  - name: bbs
    type: forum
    start_urls: ["http://127.0.0.1/forum"]
    options:
      thread_links: "a::attr(href)"
      text: ".content"
"""
    found = problems_of(write_config(tmp_path, text))
    assert any("sources[0].options.post: required key is missing" in p for p in found)


def test_paths_are_relative_to_the_config_file(tmp_path, rules_copy):
    settings = load_settings(write_config(tmp_path, MINIMAL.format(rules="./rules")))
    assert settings.config.rules_dir == rules_copy
    assert settings.config.state_dir == tmp_path / "brandmon-data"


@pytest.mark.parametrize("secret, why", [("change-me", "well-known placeholder"), ("Kx9-short", "too short (9")])
def test_a_daemon_with_a_public_url_refuses_a_placeholder_or_short_ack_secret(tmp_path, rules_copy, monkeypatch,
                                                                               secret, why):
    monkeypatch.setenv("ACK", secret)
    text = MINIMAL.format(rules=rules_copy) + "http:\n  public_url: https://brandmon.example.com\n  ack_secret: ${ACK}\n"
    [problem] = problems_of(write_config(tmp_path, text))
    assert problem.startswith(f"{tmp_path / 'config.yaml'}:12: http.ack_secret: ")
    assert why in problem and secret not in problem


def test_a_long_random_ack_secret_passes(tmp_path, rules_copy, monkeypatch):
    monkeypatch.setenv("ACK", "4f0c9e1b7a2d8e63c5b1a09f7d3e2c1b")
    text = MINIMAL.format(rules=rules_copy) + "http:\n  public_url: https://brandmon.example.com\n  ack_secret: ${ACK}\n"
    assert load_settings(write_config(tmp_path, text)).config.http.ack_secret.startswith("4f0c")


def test_a_value_from_the_environment_is_never_echoed_in_a_problem(tmp_path, rules_copy, monkeypatch):
    monkeypatch.setenv("KIBANA", "ftp://kibana-token-s3cr3t@127.0.0.1")
    text = MINIMAL.format(rules=rules_copy) + "alerting:\n  kibana_url: ${KIBANA}\n"
    [problem] = problems_of(write_config(tmp_path, text))
    assert "alerting.kibana_url: '${…}' is not an http(s) URL" in problem
    assert "s3cr3t" not in problem


@pytest.mark.parametrize("extra, problem", [
    ("alerting:\n  channel_keywords:\n    dingtalk: 舆情\n",
     "alerting: unknown channel 'dingtalk' (defined: console, pr_oncall, pr_manager)"),
    ("alerting:\n  give_up_after: soon\n", "alerting.give_up_after: expected a duration"),
])
def test_delivery_settings_name_known_channels_and_real_durations(tmp_path, rules_copy, extra, problem):
    [found] = problems_of(write_config(tmp_path, MINIMAL.format(rules=rules_copy) + extra))
    assert problem in found


def test_a_channel_name_must_not_contain_the_url_separator(tmp_path, rules_copy):
    text = MINIMAL.format(rules=rules_copy).replace('channels:', 'channels:\n  "ops#1": "console://"')
    [found] = problems_of(write_config(tmp_path, text))
    assert "channel name 'ops#1' must not contain '#'" in found
