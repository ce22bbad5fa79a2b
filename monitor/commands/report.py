"""`brandmon report`: the daily, weekly or monthly picture, as HTML with charts and as Markdown."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from monitor.cli import CONFIG_OPTION, _settings


@click.command("report")
@CONFIG_OPTION
@click.option("--period", type=click.Choice(["daily", "weekly", "monthly"]), default="weekly", show_default=True,
              help="24 hours by the hour, or 7 / 30 days by the day, in the configured time zone.")
@click.option("--brand", default=None, help="Only this brand (default: every brand).")
@click.option("--until", "until_text", default=None,
              help="Where the period ends, local date or date-time (default: now).")
@click.option("--send", "channels", multiple=True, help="Send to this channel (repeatable): mail gets HTML with "
              "charts, chat channels get Markdown.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Write to FILE: .md gives Markdown with PNG charts beside it, else one HTML file.")
@click.option("--json", "as_json", is_flag=True,
              help='One JSON object: {"title", "files": [...], "sent": [...], "failed": [...]}.')
def report(config_path: Path, period: str, brand: str | None, until_text: str | None, channels: tuple[str, ...],
           out: Path | None, as_json: bool) -> None:
    """Volume and sentiment over time, share of voice against competitors, top sources, top words, the most
    engaged negative mentions, and incidents with time to acknowledge and resolve.

    Without --out or --send the Markdown goes to stdout. Progress goes to stderr.
    """
    from monitor.report.send import build_report, send_to_channel, write_report
    from monitor.store import open_store

    settings = _settings(config_path)
    config = settings.config
    if brand is not None and brand not in {b.name for b in config.brands}:
        raise click.BadParameter(f"unknown brand '{brand}' (known: {', '.join(b.name for b in config.brands)})",
                                 param_hint="--brand")
    for channel in channels:
        if channel not in config.channels:
            raise click.BadParameter(f"unknown channel '{channel}' (defined: {', '.join(config.channels)})",
                                     param_hint="--send")
    until = _until(until_text, config.zone)
    store = open_store(config)
    try:
        built = build_report(settings, store, period, until, brand,
                             progress=lambda line: click.echo(f"report: {line}", err=True))
    finally:
        store.close()
    written = []
    if out is not None:
        for path in write_report(built, out):
            written.append(str(path))
            click.echo(f"report: wrote {path}", err=True)
    failed = []
    for channel in channels:
        click.echo(f"report: sending to {channel} …", err=True)
        if not send_to_channel(settings, channel, built):
            failed.append(channel)
    if as_json:
        click.echo(json.dumps({"title": built.title, "files": written,
                               "sent": [c for c in channels if c not in failed], "failed": failed,
                               **({"markdown": built.markdown()} if out is None and not channels else {})},
                              ensure_ascii=False))
    elif out is None and not channels:
        click.echo(built.markdown())
    if failed:
        click.echo(f"report: could not send to {', '.join(failed)} (see the log above)", err=True)
        sys.exit(1)


def _until(text: str | None, zone) -> datetime:
    if text is None:
        return datetime.now(zone)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"expected a date like 2026-11-23 or 2026-11-23T09:00, got {text!r}",
                                 param_hint="--until") from None
    return value if value.tzinfo else value.replace(tzinfo=zone)
