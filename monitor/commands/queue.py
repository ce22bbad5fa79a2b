"""`brandmon queue`: unanswered negative mentions, oldest first, and what the team does with them."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from monitor.cli import CONFIG_OPTION, _emit_json, _settings
from monitor.i18n import t

STATE_ZH = {"ok": "未超时", "due_soon": "即将超时", "breached": "已超时", "snoozed": "已暂缓"}


def _age(seconds: int) -> str:
    minutes = seconds // 60
    if minutes >= 60 * 24:
        return t(f"{minutes // 1440}天{minutes % 1440 // 60}时", f"{minutes // 1440}d{minutes % 1440 // 60}h")
    return t(f"{minutes // 60}时{minutes % 60:02d}分", f"{minutes // 60}h{minutes % 60:02d}m")


def _desk(config_path: Path):
    from monitor.reply.queue import ReplyDesk
    from monitor.store import open_store

    settings = _settings(config_path)
    return settings, ReplyDesk(settings.config, open_store(settings.config))


@click.group("queue", invoke_without_command=True)
@CONFIG_OPTION
@click.option("--brand", default=None, help="Only this brand.")
@click.option("--all", "include_snoozed", is_flag=True, help="Include snoozed items.")
@click.option("--state", "states", multiple=True, type=click.Choice(["breached", "due_soon", "ok", "snoozed"]),
              help="Only items in this SLA state (repeat for several; snoozed needs --all).")
@click.option("--sort", "order", type=click.Choice(["age", "due"]), default="age", show_default=True,
              help="age: oldest first; due: the soonest due (most urgent) first.")
@click.option("--limit", "-n", type=click.IntRange(min=1), default=50, show_default=True,
              help="Show this many items; the total counts them all.")
@click.option("--link", "link", is_flag=True, help="Print a signed link to the queue's phone page (needs "
              "http.public_url and http.ack_secret) and exit.")
@click.option("--json", "as_json", is_flag=True, help='One JSON object: {"items": [...], "total", "shown", "breached", "states": {state: n}}.')
@click.pass_context
def queue(ctx: click.Context, config_path: Path, brand: str | None, include_snoozed: bool, states: tuple[str, ...],
          order: str, limit: int, link: bool, as_json: bool) -> None:
    """Negative mentions no official account has answered and nobody marked handled, oldest first,
    each with its link, author reach, category, age and SLA state (ok, due_soon, breached).

    Shows the first --limit items and how many there are in all (the whole queue is read, a page at a
    time, however big a brand is). Act on one with `brandmon queue assign|handle|snooze|reopen ID`.
    """
    ctx.obj = {"config_path": config_path}
    if ctx.invoked_subcommand is not None:
        return
    if link:
        _print_link(config_path, as_json)
        return
    settings, desk = _desk(config_path)
    try:
        if brand is not None and brand not in {b.name for b in settings.config.brands}:
            raise click.BadParameter(f"unknown brand '{brand}'", param_hint="--brand")
        now = desk.clock.now()
        listing = desk.listing(brand, include_snoozed, limit, order, states)
    finally:
        desk.store.close()
    items = listing.items
    rows = [i.to_dict(now) for i in items]
    if as_json:
        _emit_json({"items": rows, "total": listing.total, "shown": len(rows),
                    "breached": listing.states.get("breached", 0), "states": listing.states})
        return
    if not rows:
        click.echo(t("回复队列为空：没有待回复的负面提及", "the reply queue is empty") if not listing.states else
                   t(f"没有所选状态的条目（队列共 {sum(listing.states.values())} 条）",
                     f"no items in those states ({sum(listing.states.values())} queued)"))
        return
    zone = settings.config.zone
    first = t("最早的在前", "oldest first") if order == "age" else t("最紧急的在前", "soonest due first")
    breached = listing.states.get("breached", 0)
    click.echo(t(f"待回复 {listing.total} 条，已超时 {breached} 条；显示 {len(rows)} 条（{first}）",
                 f"{listing.total} unanswered, {breached} breached; showing {len(rows)} ({first})"))
    for item, r in zip(items, rows):
        state = t(STATE_ZH.get(r["sla_state"], r["sla_state"]), r["sla_state"])
        who = f"{r['author'] or t('匿名', 'anonymous')}" + (f"（{r['followers']} 粉丝）" if r["followers"] else "")
        click.echo(f"{item.mention.published_at.astimezone(zone):%m-%d %H:%M}  {_age(r['age_seconds'])}"
                   f"/{_age(r['sla_seconds'])}  [{state}] {r['brand']}  {r['category'] or '-'}  {who}"
                   + (f"  → {r['assignee']}" if r["assignee"] else ""))
        text = " ".join(r["text"].split())
        click.echo(f"    {text[:60]}{'…' if len(text) > 60 else ''}")
        click.echo(f"    {r['url']}   id={r['id']}")
    if listing.total > len(rows):
        click.echo(t(f"还有 {listing.total - len(rows)} 条未显示（--limit 显示更多）",
                     f"{listing.total - len(rows)} more not shown (--limit to show more)"))


def _print_link(config_path: Path, as_json: bool) -> None:
    from monitor.alerting.acklink import QUEUE
    from monitor.alerting.policy import ack_links_for
    from monitor.clock import Clock

    links = ack_links_for(_settings(config_path).config, Clock())
    if links is None:
        click.echo(t("需要在配置的 http 中设置 public_url 与 ack_secret", "set http.public_url and http.ack_secret"),
                   err=True)
        sys.exit(2)
    url = links.link("queue", QUEUE)
    _emit_json({"url": url}) if as_json else click.echo(url)


def _act(ctx: click.Context, config_path: Path | None, action) -> None:
    settings, desk = _desk(config_path or ctx.obj["config_path"])
    try:
        mark = action(desk)
    except KeyError as exc:
        click.echo(t(f"队列中没有提及 {exc.args[0]}", f"no mention {exc.args[0]} in the queue"), err=True)
        sys.exit(1)
    finally:
        desk.store.close()
    _emit_json(mark.to_dict()) if ctx.params.get("as_json") else click.echo(f"{mark.mention_id}: ok")


_SUB_CONFIG = click.option("--config", "-c", "config_path", type=click.Path(path_type=Path), default=None,
                           help="Config file (default: the one given to `queue`, or config.yaml).")
_BY = click.option("--by", default=None, help="Who is acting (default: the shell user).")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print the item's record as JSON.")


@queue.command("assign")
@_SUB_CONFIG
@click.argument("mention_id")
@click.option("--to", "to", required=True, help="Who will reply.")
@_BY
@_JSON
@click.pass_context
def assign(ctx, config_path, mention_id, to, by, as_json) -> None:
    """Give a queued mention to someone."""
    _act(ctx, config_path, lambda d: d.assign(mention_id, to, by or getpass.getuser()))


@queue.command("handle")
@_SUB_CONFIG
@click.argument("mention_id")
@click.option("--note", default=None, help="What was done (replied by DM, phoned the customer…).")
@_BY
@_JSON
@click.pass_context
def handle(ctx, config_path, mention_id, note, by, as_json) -> None:
    """Mark a mention handled (it leaves the queue), with a note."""
    _act(ctx, config_path, lambda d: d.handle(mention_id, by or getpass.getuser(), note))


@queue.command("snooze")
@_SUB_CONFIG
@click.argument("mention_id")
@click.option("--for", "for_", required=True, help="How long: 30m, 2h, 1d.")
@_BY
@_JSON
@click.pass_context
def snooze(ctx, config_path, mention_id, for_, by, as_json) -> None:
    """Hide a mention from the queue (and its SLA escalation) for a while."""
    from monitor.config.durations import parse_duration

    try:
        span = parse_duration(for_)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--for") from None
    _act(ctx, config_path, lambda d: d.snooze(mention_id, span, by or getpass.getuser()))


@queue.command("reopen")
@_SUB_CONFIG
@click.argument("mention_id")
@_BY
@_JSON
@click.pass_context
def reopen(ctx, config_path, mention_id, by, as_json) -> None:
    """Put a handled or snoozed mention back in the queue."""
    _act(ctx, config_path, lambda d: d.reopen(mention_id, by or getpass.getuser()))


def add_to(main: click.Group) -> None:
    main.add_command(queue)
