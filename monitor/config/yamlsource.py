"""YAML loading that remembers where each key came from, so errors can name a line."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config or rule file."""

    file: str
    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path or '<top>'}: {self.reason}"


class ConfigError(Exception):
    """Raised with every problem found, so a user fixes them in one pass."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class YamlDoc:
    file: str
    data: Any
    lines: dict[tuple, int]
    # values that came from the environment (${ENV}): often secrets, never echoed in a problem
    from_env: set[str] = field(default_factory=set)

    def line_of(self, path: tuple) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)

    def problem(self, path: tuple, reason: str) -> Problem:
        for value in sorted(self.from_env, key=len, reverse=True):
            reason = reason.replace(value, "${…}")
        return Problem(self.file, format_path(path), reason, self.line_of(path))


def format_path(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _index_lines(node: yaml.Node, path: tuple, lines: dict[tuple, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[path + (key,)] = key_node.start_mark.line + 1
            _index_lines(value_node, path + (key,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, path + (i,), lines)


def load_yaml(path: Path, display: str | None = None) -> YamlDoc:
    """Parse a YAML file, substitute ${ENV} in strings, and index key lines."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([Problem(name, "", f"cannot read file: {exc.strerror or exc}")]) from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = f"invalid YAML: {getattr(exc, 'problem', None) or exc}"
        raise ConfigError([Problem(name, "", reason, mark.line + 1 if mark else None)]) from exc
    lines: dict[tuple, int] = {}
    if node is not None:
        _index_lines(node, (), lines)
    doc = YamlDoc(name, data, lines)
    problems: list[Problem] = []
    doc.data = _substitute(data, (), doc, problems)
    if problems:
        raise ConfigError(problems)
    return doc


def _substitute(value: Any, path: tuple, doc: YamlDoc, problems: list[Problem]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, path + (k,), doc, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, path + (i,), doc, problems) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:
        def repl(m: re.Match) -> str:
            name, default = m.group(1), m.group(2)
            if name in os.environ:
                if len(os.environ[name]) >= 3:
                    doc.from_env.add(os.environ[name])
                return os.environ[name]
            if default is not None:
                return default
            problems.append(doc.problem(path, f"environment variable {name} is not set"))
            return ""
        return _ENV.sub(repl, value)
    return value


def pydantic_problems(doc: YamlDoc, exc: Any, prefix: tuple = ()) -> list[Problem]:
    """Turn a pydantic ValidationError into located problems."""
    out = []
    for err in exc.errors():
        loc = prefix + tuple(err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            reason = f"unknown key '{loc[-1]}'"
        elif kind == "missing":
            reason = "required key is missing"
        else:
            reason = err["msg"].removeprefix("Value error, ")
        out.append(doc.problem(loc, reason))
    return out
