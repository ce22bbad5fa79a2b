"""Configuration: `load_settings(path)` is the only way in."""

from monitor.config.loader import Settings, load_settings
from monitor.config.yamlsource import ConfigError, Problem

__all__ = ["ConfigError", "Problem", "Settings", "load_settings"]
