"""Fault suite: real servers on loopback failing while brandmon works, counted.

Each module in `bench/fault_scenarios/` exposes `SCENARIOS`, a dict of name → function taking a
scratch folder and returning the scenario's counts: `lost`, `duplicated`, `out_of_order` and
`health_seconds` (seconds from the fault to /healthz or `brandmon status` reflecting it; None where the
scenario has no health side). Every scenario is bounded in time and stops by itself. The goal is 0
lost, 0 duplicated, 0 out of order for every scenario; `project` is the total of lost + duplicated +
out of order over all scenarios and `baseline` is that goal (0).

    python bench/faults.py [--only NAME[,NAME…]] [--list]
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def scenarios() -> dict:
    import fault_scenarios
    found = {}
    for info in pkgutil.iter_modules(fault_scenarios.__path__):
        module = importlib.import_module(f"fault_scenarios.{info.name}")
        found.update(getattr(module, "SCENARIOS", {}))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated scenario names")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = parser.parse_args()
    table = scenarios()
    if args.list:
        print("\n".join(sorted(table)))
        return 0
    names = sorted(table) if not args.only else [n.strip() for n in args.only.split(",")]
    results = {}
    for name in names:
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix=f"brandmon-fault-{name}-") as folder:
            try:
                counts = dict(table[name](Path(folder)))
            except Exception:  # a broken scenario is reported, the others still run
                counts = {"error": traceback.format_exc(limit=3)}
        counts["seconds"] = round(time.monotonic() - started, 1)
        results[name] = counts
        print(f"{name}: {counts}", file=sys.stderr)
    bad = sum(int(c.get(k) or 0) for c in results.values() for k in ("lost", "duplicated", "out_of_order"))
    errors = sum(1 for c in results.values() if "error" in c)
    print(json.dumps({"metric": "notices and mentions lost, duplicated or out of order under faults",
                      "unit": "count", "project": bad, "baseline": 0, "ratio": None if bad else 1.0,
                      "detail": {"scenarios": results, "errors": errors}}, ensure_ascii=False))
    return 0 if bad == 0 and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
