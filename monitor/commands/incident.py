"""Acting on an incident from the shell: `brandmon ack`, `resolve`, `assign`, `note` and `postmortem`.

Each change prints one line, `ID: state` and the owner when there is one (`INC-1123-a1b2c3: acked, 小王`),
or the incident as JSON with --json; an unknown id exits 1.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from monitor.cli import CONFIG_OPTION, _emit_json, _settings, incident_manager
from monitor.i18n import t
from monitor.sanitize import clean_name, clean_text

NOTE_CHARS = 200  # as on the incident page's form

BY_OPTION = click.option("--by", default=None, help="Who is acting (default: the shell user).")
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print the incident as JSON.")


def _act(config_path: Path, incident_id: str, as_json: bool, action, by: str | None) -> None:
    """Apply `action(manager, who)` to the incident and print the result. `who` is `by` or the shell user;
    names and notes are cleaned to one line (monitor/sanitize.py), as on the incident page, because they
    go into the log, the timeline and the post-mortem's Markdown."""
    manager = incident_manager(_settings(config_path))
    try:
        incident = action(manager, clean_name(by) or getpass.getuser())
    except KeyError:
        click.echo(t(f"没有事件 {incident_id}", f"no incident {incident_id}"), err=True)
        sys.exit(1)
    finally:
        manager.store.close()
    if as_json:
        _emit_json(incident.to_dict())
    else:
        click.echo(f"{incident.id}: {incident.state}" + (f", {incident.assignee}" if incident.assignee else ""))


@click.command("ack")
@CONFIG_OPTION
@click.argument("incident_id")
@BY_OPTION
@click.option("--note", default=None, help="A note for the timeline and the post-mortem.")
@JSON_OPTION
def ack(config_path: Path, incident_id: str, by: str | None, note: str | None, as_json: bool) -> None:
    """Acknowledge an incident: escalation stops (--note goes on its timeline)."""
    note = clean_text(note, NOTE_CHARS) or None
    _act(config_path, incident_id, as_json, lambda m, who: m.ack(incident_id, who, note), by)


@click.command("resolve")
@CONFIG_OPTION
@click.argument("incident_id")
@BY_OPTION
@click.option("--note", default=None, help="Why: for the timeline and the post-mortem.")
@JSON_OPTION
def resolve(config_path: Path, incident_id: str, by: str | None, note: str | None, as_json: bool) -> None:
    """Resolve an incident by hand and send the resolved notice (--note: why)."""
    note = clean_text(note, NOTE_CHARS) or None
    _act(config_path, incident_id, as_json, lambda m, who: m.resolve(incident_id, who, note), by)


@click.command("assign")
@CONFIG_OPTION
@click.argument("incident_id")
@click.option("--to", "to", required=True, help="Who owns the incident from now on.")
@BY_OPTION
@JSON_OPTION
def assign(config_path: Path, incident_id: str, to: str, by: str | None, as_json: bool) -> None:
    """Give an incident an owner (recorded on its timeline)."""
    owner = clean_name(to)
    if not owner:
        raise click.BadParameter(t("负责人不能为空", "the owner is empty"), param_hint="--to")
    _act(config_path, incident_id, as_json, lambda m, who: m.assign(incident_id, owner, who), by)


@click.command("note")
@CONFIG_OPTION
@click.argument("incident_id")
@click.argument("text")
@BY_OPTION
@JSON_OPTION
def note(config_path: Path, incident_id: str, text: str, by: str | None, as_json: bool) -> None:
    """Add a note to an incident's timeline (what was done, what was said publicly)."""
    text = clean_text(text, NOTE_CHARS)
    if not text:
        raise click.BadParameter(t("备注不能为空", "the note is empty"), param_hint="TEXT")
    _act(config_path, incident_id, as_json, lambda m, who: m.note(incident_id, text, who), by)


@click.command("postmortem")
@CONFIG_OPTION
@click.argument("incident_id")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True,
              help="FILE.md; FILE.html and the charts FILE-volume.png, FILE-sentiment.png go beside it.")
@click.option("--json", "as_json", is_flag=True, help="Print the written files and the response times as JSON.")
def postmortem(config_path: Path, incident_id: str, out: Path, as_json: bool) -> None:
    """Write an incident's post-mortem: the first post (首条), the volume and sentiment curve, top posts and
    authors, stories, categories, every notification and who acked when, time to ack, resolve and first
    official reply."""
    from monitor.report.postmortem import gather, write
    from monitor.store import open_store

    settings = _settings(config_path)
    store = open_store(settings.config)
    try:
        incident = store.get_incident(incident_id)
        if incident is None:
            click.echo(t(f"没有事件 {incident_id}", f"no incident {incident_id}"), err=True)
            sys.exit(1)
        click.echo(t("汇总提及与时间线…", "gathering mentions and the timeline…"), err=True)
        pm = gather(settings, store, incident)
    finally:
        store.close()
    click.echo(t("绘制图表…", "drawing charts…"), err=True)
    files = write(pm, settings.config.zone, out)
    seconds = {k: (v.total_seconds() if v is not None else None) for k, v in
               (("to_ack", pm.to_ack), ("to_resolve", pm.to_resolve), ("to_first_reply", pm.to_first_reply))}
    if as_json:
        _emit_json({"files": [str(f) for f in files], "first_post": pm.first_post.id if pm.first_post else None,
                    **{f"{k}_seconds": v for k, v in seconds.items()}})
    else:
        for f in files:
            click.echo(str(f))


def add_to(main: click.Group) -> None:
    for command in (ack, resolve, assign, note, postmortem):
        main.add_command(command)
