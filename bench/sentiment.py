"""Sentiment scoring cost per mention: a model against the LR model, on bench/nlp.py's generated posts.

What the NLP stage pays for sentiment alone (normalised text in, scores and labels out), in CPU seconds of
this process (the machine may be shared), medians of --repeat runs over posts not seen before. Model
loading is timed apart (`load_seconds`). The full stage's throughput is bench/nlp.py's job.

    python bench/sentiment.py [--model brandmon-cnn] [--model-dir DIR] [--baseline brandmon-lr] [--n 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.nlp import posts  # noqa: E402
from monitor.nlp.normalize import normalize_many  # noqa: E402
from monitor.nlp.sentiment import get_scorer  # noqa: E402


def _load(name: str, model_dir: Path | None):
    c0, t0 = time.process_time(), time.perf_counter()
    scorer = get_scorer(name, model_dir)
    scorer.classify_many(["加载"])  # first call builds lazy state (onnxruntime's session, regexes)
    return scorer, time.perf_counter() - t0, time.process_time() - c0


def _per_mention_us(scorer, batches: list[list[str]]) -> float:
    """Median CPU microseconds per mention over the batches."""
    costs = []
    for batch in batches:
        c0 = time.process_time()
        scorer.classify_many(batch)
        costs.append((time.process_time() - c0) / len(batch) * 1e6)
    return statistics.median(costs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="brandmon-cnn")
    ap.add_argument("--baseline", default="brandmon-lr")
    ap.add_argument("--model-dir", type=Path, help="where --model is saved, if not among the shipped models")
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    stream = [n.scored for n in normalize_many(posts(args.n * args.repeat * 2, args.seed))]
    chunks = [stream[i:i + args.n] for i in range(0, len(stream), args.n)]
    model, load_s, load_cpu = _load(args.model, args.model_dir)
    base, base_load_s, _ = _load(args.baseline, None)
    model_us = _per_mention_us(model, chunks[:args.repeat])
    base_us = _per_mention_us(base, chunks[args.repeat:])
    detail = {"model": f"{model.name}@{model.version}", "baseline_model": f"{base.name}@{base.version}",
              "posts": args.n, "repeat": args.repeat, "load_seconds": round(load_s, 2),
              "load_cpu_seconds": round(load_cpu, 2), "baseline_load_seconds": round(base_load_s, 2),
              "model_mentions_per_cpu_second": round(1e6 / model_us),
              "baseline_mentions_per_cpu_second": round(1e6 / base_us),
              "extra_us_per_mention": round(model_us - base_us, 1),
              "timing": "CPU time of this process (time.process_time)", "load_avg_1min": round(os.getloadavg()[0], 2)}
    print(f"{detail['model']}: {model_us:.0f} µs per mention; {detail['baseline_model']}: {base_us:.0f} µs",
          file=sys.stderr)
    print(json.dumps({"metric": "sentiment_cost_per_mention", "unit": "cpu_us", "project": round(model_us, 1),
                      "baseline": round(base_us, 1), "ratio": round(model_us / base_us, 2), "detail": detail},
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
