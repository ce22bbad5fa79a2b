"""Presets: what a site engine needs (selectors, URL patterns) as data files, merged under a source's own options.

`presets/<spider type>/<name>.yaml` holds option values; a source names one with `preset:` and
overrides any of them. Adding a site engine means adding a file, not code.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent


def preset_names(spider_type: str) -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in (HERE / spider_type).glob("*.yaml")))


@lru_cache(maxsize=None)
def _load(spider_type: str, name: str) -> dict[str, Any]:
    return yaml.safe_load((HERE / spider_type / f"{name}.yaml").read_text(encoding="utf-8"))


def with_preset(spider_type: str, options: Any) -> Any:
    """The source's options laid over its preset's (one level deep for sub-blocks such as `nested`).

    Anything that is not a mapping naming a known preset is returned as is, for validation to judge.
    """
    if not isinstance(options, dict) or options.get("preset") not in preset_names(spider_type):
        return options
    merged = dict(_load(spider_type, options["preset"]))
    for key, value in options.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged
