"""`brandmon rules backtest` and `brandmon silence add/list/expire`."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

import click

from monitor.cli import CONFIG_OPTION, _settings
from monitor.clock import Clock, utc
from monitor.config.durations import format_duration, parse_duration


def _when(value: str, zone, now: datetime) -> datetime:
    """An ISO date or time (naive means the configured zone), or a duration meaning that long ago."""
    try:
        return now - parse_duration(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected an ISO time like 2026-11-23T08:00 or a duration like 7d, got {value!r}")
    return utc(parsed if parsed.tzinfo else parsed.replace(tzinfo=zone))


def _duration(value: str) -> timedelta:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group()
def rules() -> None:
    """Work with the detection rules."""


@rules.command()
@CONFIG_OPTION
@click.option("--from", "start", required=True, help="Start: ISO time (config zone unless given) or a duration ago (7d).")
@click.option("--to", "end", default="0s", show_default=True, help="End, like --from (default: now).")
@click.option("--step", default="5m", show_default=True, help="How far the clock moves between evaluations.")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"incidents": [...], "notifications": [...]} as one JSON object on the last line.')
def backtest(config_path: Path, start: str, end: str, step: str, as_json: bool) -> None:
    """Replay stored mentions through the rules AND the notification policy with a moving clock: the
    incidents that would have opened and every message the phones would have received.

    Grouping, inhibition, quiet hours, escalation steps and re-notification on growth all apply; nothing
    is sent and the live incidents and baselines are left alone. Load history first with `brandmon import`.
    """
    from monitor.alerting.backtest import backtest as run
    from monitor.store import open_store

    settings = _settings(config_path)
    zone = settings.config.zone
    now = Clock().now()
    begin, finish = _when(start, zone, now), _when(end, zone, now)
    every = _duration(step)
    store = open_store(settings.config)
    try:
        steps = max(int((finish - begin) / every), 0) + 1
        with click.progressbar(length=steps, label="replaying", file=sys.stderr) as bar:
            replay = run(settings, store, begin, finish, every, progress=lambda _: bar.update(1))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    finally:
        store.close()
    sent = {}
    for d in replay.deliveries:
        if d.status == "sent":
            sent.setdefault((d.incident_id, d.step), []).append(d)
    notifications = [{"incident": key[0], "step": key[1], "channels": sorted(d.channel for d in rows),
                      "at": min(d.at for d in rows).isoformat()}
                     for key, rows in sorted(sent.items(), key=lambda kv: min(d.at for d in kv[1]))]
    rows = [{"id": i.id, "rule": i.rule, "brand": i.brand, "group": i.group, "severity": i.severity,
             "opened_at": i.opened_at.isoformat(), "title": i.title,
             "cluster_sizes": i.figures.get("clusters", []), "renotified": (i.wave or {}).get("n", 0)}
            for i in replay.incidents]
    if as_json:
        click.echo(json.dumps({"from": begin.isoformat(), "to": finish.isoformat(), "step": format_duration(every),
                               "incidents": rows, "notifications": notifications}, ensure_ascii=False))
        return
    click.echo(f"{len(rows)} incident(s), {len(notifications)} notification(s) from "
               f"{begin.astimezone(zone):%Y-%m-%d %H:%M} to {finish.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})")
    for i in replay.incidents:
        click.echo(f"  {i.opened_at.astimezone(zone):%Y-%m-%d %H:%M}  {i.id}  [{i.severity}] {i.rule}  {i.title}")
    for n in notifications:
        at = datetime.fromisoformat(n["at"]).astimezone(zone)
        click.echo(f"    {at:%m-%d %H:%M}  {n['incident']}  {n['step']} → {', '.join(n['channels'])}")


@click.group()
def silence() -> None:
    """Mute notifications for a brand and/or rule until an expiry (incidents still open and are recorded)."""


def _silences(config_path: Path):
    from monitor.alerting.silences import Silences
    from monitor.store import open_store

    settings = _settings(config_path)
    store = open_store(settings.config)
    return settings, store, Silences(store, Clock())


@silence.command("add")
@CONFIG_OPTION
@click.option("--brand", default=None, help="Only incidents of this brand.")
@click.option("--rule", default=None, help="Only incidents of this rule.")
@click.option("--for", "duration", required=True, help="How long, like 2h or 1d.")
@click.option("--comment", default="", help="Why, for whoever finds it later.")
@click.option("--by", default=None, help="Who (default: the shell user).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on the last line.")
def silence_add(config_path: Path, brand: str | None, rule: str | None, duration: str, comment: str,
                by: str | None, as_json: bool) -> None:
    """Add a silence."""
    from monitor.sanitize import clean_name, clean_text

    settings, store, silences = _silences(config_path)
    try:
        if brand is not None and brand not in {b.name for b in settings.config.brands}:
            raise click.BadParameter(f"unknown brand '{brand}'", param_hint="--brand")
        if rule is not None and rule not in {r.name for r in settings.rules}:
            raise click.BadParameter(f"unknown rule '{rule}'", param_hint="--rule")
        try:
            made = silences.add(_duration(duration), clean_name(by) or getpass.getuser(), brand, rule,
                                clean_text(comment))
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(made.to_dict(), ensure_ascii=False))
        return
    click.echo(f"{made.id}: {made.matchers} until {made.ends_at.astimezone(settings.config.zone):%Y-%m-%d %H:%M} "
               f"({settings.config.zone.key})")


@silence.command("list")
@CONFIG_OPTION
@click.option("--all", "show_all", is_flag=True, help="Include expired silences.")
@click.option("--json", "as_json", is_flag=True)
def silence_list(config_path: Path, show_all: bool, as_json: bool) -> None:
    """List active silences (all with --all)."""
    settings, store, silences = _silences(config_path)
    try:
        now = Clock().now()
        rows = [s for s in silences.all() if show_all or s.active(now)]
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps({"silences": [s.to_dict() for s in rows]}, ensure_ascii=False))
        return
    zone = settings.config.zone
    if not rows:
        click.echo("no silences")
    for s in rows:
        state = "active" if s.active(now) else "expired"
        left = format_duration(max(s.ends_at - now, timedelta(0))) if state == "active" else "-"
        click.echo(f"{s.id}  {state:<7} {s.matchers}  until {s.ends_at.astimezone(zone):%Y-%m-%d %H:%M} "
                   f"({left} left)  by {s.created_by}  {s.comment}")


@silence.command("expire")
@CONFIG_OPTION
@click.argument("silence_id")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on the last line.")
def silence_expire(config_path: Path, silence_id: str, as_json: bool) -> None:
    """End a silence now."""
    _, store, silences = _silences(config_path)
    try:
        made = silences.expire(silence_id)
    except KeyError:
        click.echo(f"no silence {silence_id}", err=True)
        sys.exit(1)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(made.to_dict(), ensure_ascii=False))
        return
    click.echo(f"{made.id}: expired")


def add_to(main: click.Group) -> None:
    main.add_command(rules)
    main.add_command(silence)
