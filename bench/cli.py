"""How long the `brandmon` command takes to start, against a bare click program doing the same job.

Prints per-command medians on stderr and one JSON object last: `brandmon --help` (project) against a
one-command click program printing its help (baseline: the interpreter and click, nothing of brandmon),
and in `detail` the medians of `brandmon ack` (config, store, one incident changed, no NLP) and of
`brandmon queue --json`. Run from the repository root: python bench/cli.py [--runs 9]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASELINE = """
import click

@click.group()
def main():
    "A bare click program."

@main.command()
def ack():
    "Acknowledge."

main()
"""

CONFIG = """
state_dir: {state}
brands:
  - name: 星河手机
    competitors: [极光手机]
channels:
  console: "console://"
  pr_oncall: "console://"
  pr_manager: "console://"
rules_dir: {rules}
reply:
  escalate: false
"""


def timed(argv: list[str], runs: int) -> float:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    from monitor.config import load_settings
    from monitor.incident import Incident
    from monitor.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text(CONFIG.format(state=Path(tmp) / "state", rules=ROOT / "monitor" / "demo" / "rules"),
                          encoding="utf-8")
        store = open_store(load_settings(config).config)
        now = datetime.now(timezone.utc)
        ids = [f"INC-bench-{i}" for i in range(args.runs)]
        for ident in ids:
            store.save_incident(Incident(id=ident, fingerprint=ident, rule="bench", brand="星河手机", severity="warning",
                                         title="bench", playbook={}, opened_at=now, last_seen_at=now))
        store.close()
        py = [sys.executable]
        baseline = Path(tmp) / "bare.py"
        baseline.write_text(BASELINE, encoding="utf-8")
        results = {
            "baseline_help": timed([*py, str(baseline), "--help"], args.runs),
            "help": timed([*py, "-m", "monitor", "--help"], args.runs),
            "ack_help": timed([*py, "-m", "monitor", "ack", "--help"], args.runs),
            "queue": timed([*py, "-m", "monitor", "queue", "-c", str(config), "--json"], args.runs),
        }
        acks = []
        for ident in ids:  # each run acks a fresh incident, so every run does the whole change
            started = time.perf_counter()
            subprocess.run([*py, "-m", "monitor", "ack", ident, "-c", str(config)], cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
            acks.append(time.perf_counter() - started)
        results["ack"] = statistics.median(acks)
        bare = timed([*py, "-c", "pass"], args.runs)
    for name, value in results.items():
        print(f"{name:<14} {value:.3f} s (median of {args.runs})", file=sys.stderr)
    print(json.dumps({
        "metric": "cli_help_seconds", "unit": "s (median wall time of `brandmon --help`)",
        "project": round(results["help"], 3), "baseline": round(results["baseline_help"], 3),
        "ratio": round(results["help"] / results["baseline_help"], 3),
        "detail": {"ack_seconds": round(results["ack"], 3), "ack_help_seconds": round(results["ack_help"], 3),
                   "queue_json_seconds": round(results["queue"], 3), "python_startup_seconds": round(bare, 3),
                   "runs": args.runs,
                   "baseline_is": "a one-command click program printing its --help"},
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
