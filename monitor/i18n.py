"""The CLI's language: Chinese for zh_* locales (and when the config says `language: zh`), else English.

Kept import-light: `brandmon --help` reads it before anything heavy is loaded.
"""

from __future__ import annotations

import os

_override: str | None = None


def set_language(language: str | None) -> None:
    """The config's `language:` wins over the locale once a command has loaded it."""
    global _override
    _override = language


def is_zh() -> bool:
    if _override:
        return _override == "zh"
    explicit = os.environ.get("BRANDMON_LANG")
    if explicit:
        return explicit.lower().startswith("zh")
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(name)
        if value:
            return value.lower().startswith("zh")
    return False


def t(zh: str, en: str) -> str:
    """The text in the CLI's language."""
    return zh if is_zh() else en
