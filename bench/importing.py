"""`brandmon import` on a realistic stream: how long loading a brand team's history takes.

The records are bench/stream.py's seven weeks (eight brands from 20 to 3,000 mentions a day, the day and
week rhythm, 双11, launches, spam waves, repost storms, competitor crises, a month-long backlog of a new
source), written as the README's JSON-lines records (their sentiment labels dropped unless
--keep-sentiment), and loaded by the real command in a subprocess into a fresh embedded store:

- project: records per second (wall) of `brandmon import FILE -c CONFIG --json` (JSON parsing, brand
  matching, words, sentiment, crisis terms, repost clustering, the store), median of --repeat runs;
- baseline: the glue a team writes for the same job — json.loads, jieba.lcut, SnowNLP sentiment and one
  INSERT per record into SQLite — timed on the first --baseline-n records (snownlp is slow), per second;
- ratio: project / baseline;
- detail: records, stored, about no brand, seconds and CPU seconds of the import, the load average.

    nice python bench/importing.py [--seed 1] [--days 49] [--repeat 1] [--baseline-n 2000] [--keep-sentiment]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from detect import generated, write_config  # noqa: E402

DROPPED = ("truth", "arrives")  # the generator's answers, not part of a record


def write_records(stream, path: Path, keep_sentiment: bool) -> int:
    with path.open("w", encoding="utf-8") as out:
        for r in stream.mentions:
            record = {k: v for k, v in r.items() if k not in DROPPED}
            if not keep_sentiment:
                record.pop("sentiment_label", None)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(stream.mentions)


def run_import(config: Path, records: Path, keep_sentiment: bool) -> tuple[float, float, dict]:
    """Wall and CPU seconds of one `brandmon import`, and its JSON summary."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "monitor", "import", str(records), "-c", str(config), "--json",
                           *(["--keep-sentiment"] if keep_sentiment else [])],
                          capture_output=True, text=True, cwd=ROOT, timeout=4 * 3600)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"brandmon import failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, json.loads(proc.stdout.strip().splitlines()[-1])


def glue(records: Path, n: int, db: Path) -> float:
    """Records per second of the hand-written loader on the first n records."""
    import jieba
    from snownlp import SnowNLP

    jieba.initialize()
    SnowNLP("预热").sentiments
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE mentions (id TEXT PRIMARY KEY, published_at TEXT, text TEXT, words TEXT, sentiment REAL)")
    started = time.perf_counter()
    with records.open(encoding="utf-8") as lines:
        for _, line in zip(range(n), lines):
            r = json.loads(line)
            con.execute("INSERT OR REPLACE INTO mentions VALUES (?, ?, ?, ?, ?)",
                        (r["id"], r["published_at"], r["text"], " ".join(jieba.lcut(r["text"])),
                         SnowNLP(r["text"]).sentiments))
            con.commit()
    con.close()
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=49)
    parser.add_argument("--repeat", type=int, default=1, help="imports timed, each into a fresh store")
    parser.add_argument("--baseline-n", type=int, default=2000)
    parser.add_argument("--keep-sentiment", action="store_true", help="keep the records' labels instead of scoring")
    args = parser.parse_args()
    stream = generated(args.seed, args.days)
    with tempfile.TemporaryDirectory(prefix="brandmon-bench-import-") as tmp:
        folder = Path(tmp)
        records = folder / "history.jsonl"
        n = write_records(stream, records, args.keep_sentiment)
        megabytes = records.stat().st_size / 2**20
        runs = []
        for k in range(args.repeat):
            run = folder / f"run{k}"
            run.mkdir()
            wall, cpu, summary = run_import(write_config(run, stream, ROOT / "rules"), records, args.keep_sentiment)
            runs.append((wall, cpu, summary))
            print(f"import {k + 1}: {n:,} records in {wall:.1f} s ({n / wall:,.0f}/s, {cpu:.1f} CPU s): {summary}",
                  file=sys.stderr)
        baseline = glue(records, min(args.baseline_n, n), folder / "glue.db")
    wall = statistics.median(r[0] for r in runs)
    project = n / wall
    summary = runs[-1][2]
    print(json.dumps({
        "metric": "import_records_per_s", "unit": "records/s", "project": round(project, 1),
        "baseline": round(baseline, 1), "ratio": round(project / baseline, 2),
        "detail": {"records": n, "megabytes": round(megabytes, 1),
                   "stored": summary["stored"], "not_about_a_brand": summary["not_about_a_brand"],
                   "bad": summary["bad"], "seconds": round(wall, 1), "minutes": round(wall / 60, 2),
                   "cpu_seconds": round(statistics.median(r[1] for r in runs), 1),
                   "keep_sentiment": args.keep_sentiment, "seed": args.seed, "days": args.days,
                   "baseline_records": min(args.baseline_n, n), "load_average": os.getloadavg()[0]},
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
