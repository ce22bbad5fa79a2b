"""`brandmon nlp eval | train | export` as a user runs them."""

import csv
import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.clock import Clock
from monitor.config import load_settings
from monitor.mention import Mention
from monitor.nlp.pipeline import NlpStage
from monitor.store.sqlite import SqliteStore

PRAISE = ["物流很快，包装完好，五星好评", "味道超级好，下次还点", "客服很耐心，问题很快解决了[赞]", "性价比很高，非常满意",
          "这款面霜太好用了，已经回购三次", "酒店干净整洁，推荐入住"]
COMPLAINTS = ["质量太差了，用了三天就坏了", "等了两个小时外卖还没到，太坑了", "服务态度恶劣，再也不来了[怒]",
              "垃圾产品，虚假宣传，大家避雷", "味道很一般还特别贵，不推荐", "客服电话打不通，失望"]


def write_labels(path, rows):
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["label", "text"])
        writer.writerows(rows)
    return path


@pytest.fixture
def config(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "playbooks.yaml").write_text("default:\n  steps:\n    - notify: [console]\n",
                                                       encoding="utf-8")
    path = tmp_path / "config.yaml"
    path.write_text("state_dir: state\nchannels:\n  console: 'console://'\n"
                    "brands:\n  - name: 星河手机\n    aliases: [星河]\n", encoding="utf-8")
    return path


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)), catch_exceptions=False)


NOTICES = ["星河X5下周三发布", "请问门店几点开门？", "快递明天发货"]


def test_eval_prints_accuracy_macro_f1_and_the_confusion_matrix(tmp_path):
    labels = write_labels(tmp_path / "labels.csv", [(1, t) for t in PRAISE] + [(0, t) for t in COMPLAINTS]
                          + [("", "还没标注")])
    result = run("nlp", "eval", labels)
    assert result.exit_code == 0, result.stderr
    assert "brandmon-lr@5" in result.stdout and "accuracy 1.000   macro-F1 1.000   (12 texts" in result.stdout
    assert "negative precision 1.000   negative recall 1.000" in result.stdout
    rows = {line.split()[1]: line.split()[2:] for line in result.stdout.splitlines() if line.startswith("actually")}
    assert rows == {"negative": ["6", "0", "0"], "positive": ["0", "0", "6"]}


def test_eval_reads_three_labels_and_reports_what_pr_staff_act_on(tmp_path):
    labels = write_labels(tmp_path / "labels.csv", [("positive", t) for t in PRAISE]
                          + [("negative", t) for t in COMPLAINTS] + [("neutral", t) for t in NOTICES])
    result = run("nlp", "eval", labels, "--json")
    assert result.exit_code == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["n"] == 15 and set(figures["f1"]) == {"negative", "neutral", "positive"}
    assert figures["negative_precision"] == 1.0 and figures["negative_recall"] == 1.0
    assert [sum(row) for row in figures["confusion"]] == [6, 3, 6]
    assert figures["accuracy"] >= 0.8 and figures["macro_f1"] >= 0.8


def test_eval_json_ends_with_the_figures_and_can_pick_a_model(tmp_path):
    labels = write_labels(tmp_path / "labels.csv", [(1, t) for t in PRAISE] + [(0, t) for t in COMPLAINTS])
    result = run("nlp", "eval", labels, "--model", "snownlp", "--json")
    assert result.exit_code == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["n"] == 12 and 0 <= figures["macro_f1"] <= 1 and 0 <= figures["accuracy"] <= 1
    assert {"negative_precision", "negative_recall", "confusion"} <= set(figures)
    assert figures["model"].startswith("snownlp@")


@pytest.mark.parametrize("content, message", [
    ("label,txt\n1,好\n", "labels.csv:1: expected columns label,text; got label,txt"),
    ("label,text\n1,好\ngood,很好\n", "labels.csv:3: label must be negative, neutral, positive, 0 or 1, got 'good'"),
    ("label,text\n,好\n", "labels.csv: no labelled rows"),
])
def test_eval_rejects_a_bad_file_saying_where(tmp_path, content, message):
    path = tmp_path / "labels.csv"
    path.write_text(content, encoding="utf-8")
    result = run("nlp", "eval", path)
    assert result.exit_code == 2
    assert message in result.stderr


def test_eval_of_an_unknown_model_lists_the_known_ones(tmp_path):
    labels = write_labels(tmp_path / "labels.csv", [(1, "好")])
    result = CliRunner().invoke(main, ["nlp", "eval", str(labels), "--model", "nope"])
    assert result.exit_code == 2 and "known: brandmon-lr, snownlp" in result.stderr


def test_train_versions_a_model_that_the_config_can_then_name(tmp_path, config):
    labels = write_labels(tmp_path / "mine.csv", [(1, t) for t in PRAISE * 2] + [(0, t) for t in COMPLAINTS * 2])
    first = run("nlp", "train", labels, "-c", config, "--only-mine", "--json")
    assert first.exit_code == 0, first.stderr
    out = json.loads(first.stdout.strip().splitlines()[-1])
    assert out["model"] == "custom@1" and out["n"] == 24
    assert (tmp_path / "state" / "models" / "custom-1" / "model.json").is_file()
    assert set(out["heldout"]) == {"social", "reviews"}
    second = run("nlp", "train", labels, "-c", config, "--only-mine", "--json")
    assert json.loads(second.stdout.strip().splitlines()[-1])["model"] == "custom@2"

    config.write_text(config.read_text(encoding="utf-8") + "nlp:\n  sentiment:\n    model: custom@1\n",
                      encoding="utf-8")
    configured = load_settings(config).config
    assert NlpStage(configured.brands, configured.nlp).model == "custom@1"
    evaluated = run("nlp", "eval", labels, "-c", config, "--json")
    assert json.loads(evaluated.stdout.strip().splitlines()[-1])["model"] == "custom@1"


def test_train_refuses_a_name_that_cannot_be_a_model(tmp_path, config):
    labels = write_labels(tmp_path / "mine.csv", [(1, "好")])
    result = CliRunner().invoke(main, ["nlp", "train", str(labels), "-c", str(config),
                                                       "--name", "a/b"])
    assert result.exit_code == 2 and "cannot name a model" in result.stderr


def test_export_writes_the_least_certain_stories_for_labelling(tmp_path, config):
    settings = load_settings(config)
    now = Clock().now()
    texts = ["星河手机太棒了，强烈推荐", "星河手机质量太差，要求退款", "星河手机今天发布了新品", "星河手机还行吧，一般般",
             "星河手机还行吧，一般般", "星河手机的屏幕挺大的"]
    mentions = [Mention(id=f"f:{i}", platform="forum", source="s", url=f"https://f.example/{i}", text=t,
                        published_at=now - timedelta(hours=i), crawled_at=now) for i, t in enumerate(texts)]
    accepted = NlpStage(settings.config.brands, settings.config.nlp).process(mentions).accepted
    store = SqliteStore(settings.config.state_dir / "brandmon.db")
    store.upsert(accepted)
    store.close()

    out = tmp_path / "to_label.csv"
    result = run("nlp", "export", "--uncertain", 3, "-c", config, "-o", out)
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 3 and all(r["label"] == "" for r in rows)
    assert len({r["text"] for r in rows}) == 3
    by_doubt = sorted(accepted, key=lambda m: abs(m.sentiment - 0.5))
    assert rows[0]["id"] == by_doubt[0].id
    assert "星河手机太棒了，强烈推荐" not in {r["text"] for r in rows}

    for row in rows:
        row["label"] = "1"
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    from monitor.nlp.sentiment import read_training_csv

    assert len(read_training_csv(out)) == 3  # the exported file, once labelled, is training input
