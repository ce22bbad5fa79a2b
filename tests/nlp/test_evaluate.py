from datetime import datetime, timezone

import pytest

from monitor.mention import Mention
from monitor.nlp.evaluate import evaluate, report_lines, uncertain

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def test_three_way_figures_of_a_known_confusion():
    gold = ["negative"] * 4 + ["neutral"] * 3 + ["positive"] * 3
    called = ["negative", "negative", "negative", "neutral", "neutral", "neutral", "negative", "positive",
              "positive", "neutral"]
    scores = [0.1, 0.2, 0.3, 0.45, 0.5, 0.5, 0.4, 0.9, 0.8, 0.55]
    result = evaluate(gold, scores, called)
    assert result.confusion == ((3, 1, 0), (1, 2, 0), (0, 1, 2))
    assert result.accuracy == pytest.approx(0.7)
    assert result.negative_precision == pytest.approx(3 / 4) and result.negative_recall == pytest.approx(3 / 4)
    assert result.f1 == pytest.approx({"negative": 0.75, "neutral": 2 * 2 / 7, "positive": 0.8})
    assert result.macro_f1 == pytest.approx((0.75 + 4 / 7 + 0.8) / 3)
    assert result.polar_accuracy == 1.0  # the score still orders every complaint below every praise
    assert set(result.to_json()) >= {"n", "accuracy", "macro_f1", "f1", "negative_precision", "negative_recall",
                                     "polar_accuracy", "confusion"}


def test_binary_gold_labels_are_judged_on_two_classes_and_neutral_calls_miss():
    result = evaluate(["negative", "positive", "positive"], [0.2, 0.5, 0.9], ["negative", "neutral", "positive"])
    assert set(result.f1) == {"negative", "positive"}
    assert result.accuracy == pytest.approx(2 / 3) and result.f1["positive"] == pytest.approx(2 / 3)
    assert result.polar_accuracy == 1.0


def test_calling_everything_positive_scores_no_negative_precision():
    result = evaluate(["negative", "positive", "positive", "positive"], [0.9] * 4, ["positive"] * 4)
    assert result.accuracy == 0.75 and result.negative_precision == 0.0 and result.negative_recall == 0.0
    assert result.macro_f1 == pytest.approx((0 + 2 * 3 / (4 + 3)) / 2)


def test_nothing_to_evaluate_is_an_error():
    with pytest.raises(ValueError, match="nothing to evaluate"):
        evaluate([], [], [])


def test_the_report_shows_the_figures_and_the_confusion_matrix():
    text = "\n".join(report_lines(evaluate(["negative", "positive"], [0.2, 0.8], ["negative", "positive"])))
    assert "accuracy 1.000" in text and "negative precision 1.000" in text
    assert "called neutral" in text and "actually neutral" not in text  # no neutral gold rows here


def m(i: int, score: float | None, text: str | None = None, cluster: str | None = None) -> Mention:
    return Mention(id=f"t:{i}", platform="p", source="s", url="u", text=text or f"第{i}条", published_at=NOW,
                   crawled_at=NOW, sentiment=score, cluster_id=cluster)


def test_uncertain_mentions_are_those_nearest_the_boundary_one_per_story():
    mentions = [m(1, 0.05), m(2, 0.52), m(3, 0.49, cluster="t:2"), m(4, 0.6), m(5, None), m(6, 0.45, text="第2条"),
                m(7, 0.98)]
    assert [x.id for x in uncertain(mentions, 3)] == ["t:3", "t:6", "t:4"]
