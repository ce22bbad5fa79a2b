"""Load a config file and the rules and playbooks it points at, reporting every problem at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import apprise
from pydantic import ValidationError

import monitor.alerting.console  # noqa: F401  (console:// is a valid channel)
from monitor.config.model import SPIDER_OPTIONS, Config
from monitor.config.rules import RULE_TYPES, Playbook, Rule
from monitor.logs import apprise_silent
from monitor.config.yamlsource import ConfigError, Problem, YamlDoc, load_yaml, pydantic_problems

PLAYBOOKS_FILE = "playbooks.yaml"


@dataclass(frozen=True)
class Settings:
    """Everything the daemon needs, validated: the config plus its rules and playbooks."""

    path: Path
    config: Config
    rules: tuple[Rule, ...]
    playbooks: dict[str, Playbook]


def load_settings(path: str | Path) -> Settings:
    path = Path(path)
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise ConfigError([doc.problem((), "the config must be a mapping of keys")])
    problems: list[Problem] = []
    data = _typed_source_options(doc, problems)
    config = None
    try:
        config = _resolve_paths(Config.model_validate(data), path.parent)
    except ValidationError as exc:
        problems += pydantic_problems(doc, exc)
    if config is not None:
        problems += _check_channels(doc, config)
        problems += _check_nlp(doc, config)
        problems += _check_ack_secret(doc, config)
        names = _Names.of(config)
        rules_dir = config.rules_dir
    else:  # still check the rules, against whatever names the raw config gives
        names = _Names.raw(data)
        rules_dir = (path.parent / str(data.get("rules_dir") or "rules")).resolve()
    located, playbooks = _load_rules(rules_dir, doc, problems)
    problems += _cross_check(names, located, playbooks)
    if problems or config is None:
        raise ConfigError(problems)
    return Settings(path=path, config=config, rules=tuple(r for r, _ in located),
                    playbooks={name: pb for name, (pb, _) in playbooks.items()})


@dataclass(frozen=True)
class _Names:
    """What rules and playbooks may refer to."""

    channels: tuple[str, ...]
    brands: frozenset[str]
    sources: frozenset[str]
    categories: tuple[str, ...]

    @classmethod
    def of(cls, config: Config) -> "_Names":
        from monitor.nlp.categories import Categorizer

        categories = Categorizer(config.nlp.categories.terms, config.nlp.categories.only).names
        return cls(tuple(config.channels), frozenset(b.name for b in config.brands),
                   frozenset(s.name for s in config.sources), categories)

    @classmethod
    def raw(cls, data: dict[str, Any]) -> "_Names":
        def names(key: str) -> frozenset[str]:
            items = data.get(key)
            return frozenset(i.get("name") for i in items if isinstance(i, dict)) if isinstance(items, list) else frozenset()

        from monitor.nlp.categories import builtin_lexicon

        channels = data.get("channels")
        nlp = data.get("nlp") if isinstance(data.get("nlp"), dict) else {}
        extra = (nlp.get("categories") or {}).get("terms") if isinstance(nlp.get("categories"), dict) else None
        categories = (*builtin_lexicon(), *(c for c in extra or () if isinstance(c, str) and c not in builtin_lexicon()))
        return cls(tuple(channels) if isinstance(channels, dict) else (), names("brands"), names("sources"), categories)


def _typed_source_options(doc: YamlDoc, problems: list[Problem]) -> dict[str, Any]:
    """Validate each source's options against its spider type's own schema."""
    data = dict(doc.data)
    sources = data.get("sources")
    if not isinstance(sources, list):
        return data
    typed = []
    for i, source in enumerate(sources):
        if isinstance(source, dict) and source.get("type") in SPIDER_OPTIONS:
            source = dict(source)
            model = SPIDER_OPTIONS[source["type"]]
            try:
                source["options"] = model.model_validate(source.get("options") or {})
            except ValidationError as exc:
                problems += pydantic_problems(doc, exc, ("sources", i, "options"))
                source.pop("options", None)
        typed.append(source)
    data["sources"] = typed
    return data


def _resolve_paths(config: Config, base: Path) -> Config:
    def resolve(p: Path) -> Path:
        return p if p.is_absolute() else (base / p).resolve()

    store = config.store
    if store.path is not None:
        store = store.model_copy(update={"path": resolve(store.path)})
    nlp = config.nlp.model_copy(update={"user_dicts": tuple(resolve(p) for p in config.nlp.user_dicts),
                                        "models_dir": resolve(config.nlp.models_dir or config.state_dir / "models")})
    return config.model_copy(update={
        "state_dir": resolve(config.state_dir),
        "rules_dir": resolve(config.rules_dir),
        "store": store,
        "nlp": nlp,
    })


def _check_channels(doc: YamlDoc, config: Config) -> list[Problem]:
    problems = []
    for name in config.channels:
        for url in config.channel_urls(name):
            with apprise_silent():  # it logs the URL it loads, before the secret masker knows this config
                usable = bool(url) and apprise.Apprise().add(url)
            if not usable:
                problems.append(doc.problem(("channels", name), f"'{_mask(url)}' is not a URL apprise can send to"))
    return problems


def _check_nlp(doc: YamlDoc, config: Config) -> list[Problem]:
    """The scorer the config names must exist, and so must the dictionaries it lists."""
    from monitor.nlp.models import model_path

    problems = []
    try:
        model_path(config.nlp.sentiment.model, config.nlp.models_dir)
    except ValueError as exc:
        problems.append(doc.problem(("nlp", "sentiment", "model"), str(exc)))
    for i, path in enumerate(config.nlp.user_dicts):
        if not path.is_file():
            problems.append(doc.problem(("nlp", "user_dicts", i), f"no dictionary file at {path}"))
    return problems


WEAK_SECRETS = frozenset({"change-me", "changeme", "change_me", "secret", "password", "brandmon", "ack-secret",
                          "please-change", "example", "test", "123456", "12345678"})
MIN_ACK_SECRET = 16


def _check_ack_secret(doc: YamlDoc, config: Config) -> list[Problem]:
    """Anyone who knows the secret can acknowledge every incident and silence its escalation: a daemon
    that signs links (http.public_url set) refuses a known placeholder or a short secret."""
    secret, path = config.http.ack_secret, ("http", "ack_secret")
    if not config.http.public_url or not secret:  # no secret: no ack links at all
        return []
    fix = "generate one with `openssl rand -hex 32` and pass it as ${BRANDMON_ACK_SECRET}"
    if secret.strip().lower() in WEAK_SECRETS:
        return [doc.problem(path, f"a well-known placeholder cannot sign ack links while http.public_url is set; {fix}")]
    if len(secret) < MIN_ACK_SECRET:
        return [doc.problem(path, f"too short ({len(secret)} characters, at least {MIN_ACK_SECRET}) to sign ack "
                                  f"links while http.public_url is set; {fix}")]
    return []


def _mask(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://…" if rest else url


Located = dict[str, tuple[Playbook, YamlDoc]]


def _load_rules(folder: Path, config_doc: YamlDoc, problems: list[Problem]) -> tuple[list[tuple[Rule, YamlDoc]], Located]:
    if not folder.is_dir():
        problems.append(config_doc.problem(("rules_dir",), f"rules folder {folder} does not exist"))
        return [], {}
    playbooks: Located = {}
    rules: list[tuple[Rule, YamlDoc]] = []
    for file in sorted(folder.glob("*.y*ml")):
        try:
            doc = load_yaml(file)
        except ConfigError as exc:
            problems += exc.problems
            continue
        if file.name == PLAYBOOKS_FILE:
            playbooks.update(_parse_playbooks(doc, problems))
        else:
            rule = _parse_rule(doc, file.stem, problems)
            if rule is not None:
                rules.append((rule, doc))
    _unique_rule_names(rules, problems)
    return rules, playbooks


def _parse_playbooks(doc: YamlDoc, problems: list[Problem]) -> Located:
    if not isinstance(doc.data, dict):
        problems.append(doc.problem((), "a playbooks file maps playbook names to playbooks"))
        return {}
    out = {}
    for name, body in doc.data.items():
        if not isinstance(body, dict):
            problems.append(doc.problem((name,), "a playbook must be a mapping with 'steps'"))
            continue
        try:
            out[name] = (Playbook.model_validate({"name": name, **body}), doc)
        except ValidationError as exc:
            problems += pydantic_problems(doc, exc, (name,))
    return out


def _parse_rule(doc: YamlDoc, default_name: str, problems: list[Problem]) -> Rule | None:
    data = doc.data
    if not isinstance(data, dict):
        problems.append(doc.problem((), "a rule file must be a mapping"))
        return None
    kind = data.get("type")
    if kind not in RULE_TYPES:
        reason = "required key is missing" if kind is None else f"unknown rule type '{kind}'"
        problems.append(doc.problem(("type",), f"{reason} (known: {', '.join(RULE_TYPES)})"))
        return None
    try:
        return RULE_TYPES[kind].model_validate({"name": default_name, **data})
    except ValidationError as exc:
        problems += pydantic_problems(doc, exc)
        return None


def _unique_rule_names(rules: list[tuple[Rule, YamlDoc]], problems: list[Problem]) -> None:
    seen: set[str] = set()
    for rule, doc in rules:
        if rule.name in seen:
            problems.append(doc.problem(("name",), f"another rule is already named '{rule.name}'"))
        seen.add(rule.name)


def _cross_check(names: _Names, rules: list[tuple[Rule, YamlDoc]], playbooks: Located) -> list[Problem]:
    """References between files: playbooks name channels, rules name brands and playbooks."""
    problems = []
    for pb, doc in playbooks.values():
        for i, step in enumerate(pb.steps):
            for j, channel in enumerate(step.notify):
                if channel not in names.channels:
                    problems.append(doc.problem((pb.name, "steps", i, "notify", j),
                                                f"unknown channel '{channel}' (defined: {', '.join(names.channels) or 'none'})"))
    for rule, doc in rules:
        if not rule.enabled:
            continue
        if rule.playbook_name not in playbooks:
            problems.append(doc.problem(("playbook",), f"unknown playbook '{rule.playbook_name}' (defined: {', '.join(playbooks) or 'none'})"))
        if rule.brands != "all":
            for i, brand in enumerate(rule.brands):
                if brand not in names.brands:
                    problems.append(doc.problem(("brands", i), f"unknown brand '{brand}'"))
        for i, source in enumerate(rule.filter.sources):
            if source not in names.sources:
                problems.append(doc.problem(("filter", "sources", i), f"unknown source '{source}'"))
        for i, category in enumerate(rule.filter.category):
            if category not in names.categories:
                problems.append(doc.problem(("filter", "category", i),
                                            f"unknown category '{category}' (known: {', '.join(names.categories)})"))
    return problems
