"""Configuration: `load_settings(path)` is the only way in.

The names load on first use, so importing a light submodule (durations) does not pull in pydantic and apprise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["ConfigError", "Problem", "Settings", "load_settings"]

if TYPE_CHECKING:
    from monitor.config.loader import Settings, load_settings
    from monitor.config.yamlsource import ConfigError, Problem


def __getattr__(name: str) -> Any:
    if name in ("Settings", "load_settings"):
        from monitor.config import loader

        return getattr(loader, name)
    if name in ("ConfigError", "Problem"):
        from monitor.config import yamlsource

        return getattr(yamlsource, name)
    raise AttributeError(f"module 'monitor.config' has no attribute {name!r}")
