"""Signing rate: the project's BrowserSigner (one chromium kept with the platform page loaded) against the
peer a crawler writer reaches for first, a fresh headless browser per request (open the page, run its
signing function, close), on the loopback stand-in platform whose page signs in its own JavaScript.

Both sign the same kind of request (a search URL with its own keyword) and every signature is checked
against the platform, which refuses a wrong one. Rates are medians over the rounds; each round signs
`--requests` URLs with the kept browser and `--fresh` with fresh browsers (a browser start costs seconds,
so fewer). Runs in about a minute on two cores.

    python bench/signer.py [--rounds 3] [--requests 60] [--fresh 4]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.crawl.signer import BrowserSigner  # noqa: E402
from tests.crawl.standin import StandIn  # noqa: E402

SCRIPT = ("(url) => { const u = new URL(url); "
          "return {headers: {'X-Sign': window.standinSign(u.pathname + u.search)}}; }")


def accepted(url: str, headers: dict) -> bool:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status == 200
    except urllib.error.HTTPError:
        return False


def rate(sign, site: StandIn, count: int, tag: str) -> float:
    urls = [f"{site.url}/api/search?keyword={tag}{i}" for i in range(count)]
    started = time.perf_counter()
    signatures = [sign(url) for url in urls]
    seconds = time.perf_counter() - started
    if not all(accepted(url, s.headers) for url, s in zip(urls, signatures)):
        raise SystemExit(f"{tag}: the platform refused a signature")
    return count / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--fresh", type=int, default=4)
    args = parser.parse_args()
    started = time.perf_counter()
    rates: dict[str, list[float]] = {"project": [], "baseline": []}

    def fresh_browser(url: str):
        signer = BrowserSigner(site.url + "/", SCRIPT, timeout=60)
        try:
            return signer.sign(url)
        finally:
            signer.close()

    with StandIn(require_login=False) as site:
        kept = BrowserSigner(site.url + "/", SCRIPT, timeout=60)
        try:
            kept.sign(site.url + "/api/search?keyword=warm-up")  # the one browser start, untimed
            for round_no in range(args.rounds):
                rates["project"].append(rate(kept.sign, site, args.requests, f"kept{round_no}-"))
                rates["baseline"].append(rate(fresh_browser, site, args.fresh, f"fresh{round_no}-"))
                print(f"round {round_no + 1}: kept {rates['project'][-1]:.1f}/s, fresh {rates['baseline'][-1]:.2f}/s",
                      file=sys.stderr)
        finally:
            kept.close()
        page_loads = site.counts["page"]
    project, baseline = statistics.median(rates["project"]), statistics.median(rates["baseline"])
    print(json.dumps({
        "metric": "signatures_per_second", "unit": "signatures/s",
        "project": round(project, 1), "baseline": round(baseline, 2), "ratio": round(project / baseline, 1),
        "detail": {"rounds": args.rounds, "requests_per_round": args.requests, "fresh_per_round": args.fresh,
                   "project_runs": [round(r, 1) for r in rates["project"]],
                   "baseline_runs": [round(r, 2) for r in rates["baseline"]],
                   "browser_starts_project": kept.starts, "page_loads": page_loads,
                   "seconds": round(time.perf_counter() - started, 1)},
    }))


if __name__ == "__main__":
    main()
