"""Where sentiment models are saved and which one a name means: kept free of numpy and scikit-learn so that
loading a config (which checks the named model exists) stays fast for commands that never score text."""

from __future__ import annotations

import json
from pathlib import Path

DATA_DIR = Path(__file__).with_name("data")
SHIPPED_MODEL_DIR = DATA_DIR / "models"
DEFAULT_SCORER = "brandmon-lr"


def saved_models(model_dir: Path) -> list[dict]:
    """Metadata (plus "path") of every model saved directly under model_dir."""
    found = []
    for meta_path in sorted(Path(model_dir).glob("*/model.json")) if Path(model_dir).is_dir() else []:
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            found.append({"name": meta["name"], "version": str(meta["version"]), "path": meta_path.parent})
        except (OSError, ValueError, KeyError):
            continue
    return found


def version_key(version: str) -> tuple:
    return (0, int(version), "") if version.isdigit() else (1, 0, version)


SCORERS: dict[str, str] = {
    "snownlp": "snownlp's Bayes classifier (baseline)",
    DEFAULT_SCORER: "char n-gram multinomial LR + social lexicon, three labels (default)",
}


def model_path(name: str | None = None, model_dir: Path | None = None) -> Path | None:
    """Where the named model is saved (None for snownlp, which brings its own); ValueError if nowhere."""
    name = name or DEFAULT_SCORER
    if name == "snownlp":
        return None
    want, _, want_version = name.partition("@")
    candidates = [m for d in ([Path(model_dir)] if model_dir else []) + [SHIPPED_MODEL_DIR]
                  for m in saved_models(d) if m["name"] == want]
    if candidates:
        first_dir = candidates[0]["path"].parent  # a user's model_dir wins over shipped models
        candidates = [m for m in candidates if m["path"].parent == first_dir
                      and (not want_version or m["version"] == want_version)]
    if not candidates:
        known = set(SCORERS) | {m["name"] for m in (saved_models(model_dir) if model_dir else [])}
        raise ValueError(f"unknown scorer {name!r}; known: {', '.join(sorted(known))}")
    return max(candidates, key=lambda m: version_key(m["version"]))["path"].resolve()
