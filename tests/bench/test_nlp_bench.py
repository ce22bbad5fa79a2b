"""A short version of bench/nlp.py: its one JSON line says which segmenter ran and where the CPU time went."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

STEPS = ["normalise", "brands", "sentiment", "crisis", "words", "categories", "clusters"]


def test_the_nlp_bench_prints_its_rate_the_segmenter_and_each_steps_cpu_time():
    proc = subprocess.run([sys.executable, "bench/nlp.py", "--n", "120", "--baseline-n", "5", "--repeat", "1"],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"metric", "unit", "project", "baseline", "ratio", "detail"} <= set(result)
    detail = result["detail"]
    assert detail["segmenter"] == "rjieba" and detail["posts"] == 120
    assert list(detail["cpu_ms_per_1000_posts"]) == STEPS
    assert result["project"] > 0 and detail["load_cpu_seconds"] > 0
