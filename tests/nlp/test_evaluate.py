from datetime import datetime, timezone

import pytest

from monitor.mention import Mention
from monitor.nlp.evaluate import evaluate, report_lines, uncertain

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def test_figures_of_a_known_confusion():
    labels = [0, 0, 0, 0, 1, 1, 1, 1]
    scores = [0.1, 0.2, 0.45, 0.7, 0.9, 0.8, 0.55, 0.3]
    result = evaluate(labels, scores, negative_below=0.3, positive_above=0.6)
    assert result.confusion == ((3, 1), (1, 3))
    assert result.accuracy == 0.75 and result.macro_f1 == pytest.approx(0.75)
    assert result.labelled == ((2, 1, 1), (0, 2, 2))
    assert result.to_json()["n"] == 8


def test_macro_f1_punishes_calling_everything_positive():
    result = evaluate([0, 1, 1, 1], [0.9, 0.9, 0.9, 0.9])
    assert result.accuracy == 0.75
    assert result.macro_f1 == pytest.approx((0 + 2 * 3 / (4 + 3)) / 2)


def test_nothing_to_evaluate_is_an_error():
    with pytest.raises(ValueError, match="nothing to evaluate"):
        evaluate([], [])


def test_the_report_shows_both_tables():
    text = "\n".join(report_lines(evaluate([0, 1], [0.2, 0.8]), 0.3, 0.6))
    assert "accuracy 1.000" in text and "called negative" in text and "neutral" in text


def m(i: int, score: float | None, text: str | None = None, cluster: str | None = None) -> Mention:
    return Mention(id=f"t:{i}", platform="p", source="s", url="u", text=text or f"第{i}条", published_at=NOW,
                   crawled_at=NOW, sentiment=score, cluster_id=cluster)


def test_uncertain_mentions_are_those_nearest_the_boundary_one_per_story():
    mentions = [m(1, 0.05), m(2, 0.52), m(3, 0.49, cluster="t:2"), m(4, 0.6), m(5, None), m(6, 0.45, text="第2条"),
                m(7, 0.98)]
    assert [x.id for x in uncertain(mentions, 3)] == ["t:3", "t:6", "t:4"]
