"""The `brandmon` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `brandmon --help` must not pay for pydantic, apprise and the config models
    from monitor.config import Settings

CONFIG_OPTION = click.option("--config", "-c", "config_path", type=click.Path(path_type=Path),
                             default="config.yaml", show_default=True, envvar="BRANDMON_CONFIG",
                             help="Config file (env BRANDMON_CONFIG).")


def _settings(path: Path) -> "Settings":
    """Load the config or exit 2 with one line per problem."""
    from monitor.config import ConfigError, load_settings
    from monitor.i18n import set_language

    try:
        settings = load_settings(path)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(2)
    from monitor.logs import MASKER

    MASKER.learn(settings.config)  # from here on no log line of any command carries the config's secrets
    set_language(settings.config.language)
    return settings


def _emit_json(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--log-level", default="WARNING", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              envvar="BRANDMON_LOG_FORMAT", help="Logs on stderr as text or JSON lines; secrets are masked in both.")
def main(log_level: str, log_format: str) -> None:
    """brandmon: watch forums, comment sections and feeds for your brands, score what people say,
    and escalate crises to the people who must act.

    Start with `brandmon demo`; then copy config.example.yaml, edit it, and
    `brandmon check -c config.yaml` before `brandmon run`.
    """
    from monitor.logs import setup_logging

    setup_logging(log_level, log_format)


@main.command()
@click.argument("config_path", type=click.Path(path_type=Path), required=False)
@click.option("--config", "-c", "config_opt", type=click.Path(path_type=Path), hidden=True)
@click.option("--json", "as_json", is_flag=True,
              help='One JSON object: {"ok": true, counts} or {"ok": false, "problems": [{file, line, path, reason}]}.')
def check(config_path: Path | None, config_opt: Path | None, as_json: bool) -> None:
    """Validate a config and every rule and playbook it loads.

    Exit 0 when sound; exit 2 with one line per problem: file:line: key.path: reason.
    """
    path = config_path or config_opt or Path("config.yaml")
    if as_json:
        from monitor.config import ConfigError, load_settings

        try:
            settings = load_settings(path)
        except ConfigError as exc:
            _emit_json({"ok": False, "problems": [{"file": p.file, "line": p.line, "path": p.path, "reason": p.reason}
                                                  for p in exc.problems]})
            sys.exit(2)
        c = settings.config
        _emit_json({"ok": True, "config": str(path), "brands": len(c.own_brands),
                    "competitors": len(c.brands) - len(c.own_brands), "sources": len(c.sources),
                    "rules": len(settings.rules), "playbooks": len(settings.playbooks), "channels": len(c.channels)})
        return
    settings = _settings(path)
    click.echo(f"{path}: ok — {len(settings.config.brands)} brands, {len(settings.config.sources)} sources, "
               f"{len(settings.rules)} rules, {len(settings.playbooks)} playbooks, "
               f"{len(settings.config.channels)} channels")


@main.command()
@click.option("--dir", "folder", type=click.Path(path_type=Path), default="brandmon-demo", show_default=True,
              help="Where the demo writes its config, state and received mails.")
@click.option("--es", "es_url", default=None, help="Run against this Elasticsearch instead of the embedded store.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object on the last line.")
def demo(folder: Path, es_url: str | None, as_json: bool) -> None:
    """Run the whole path once on this machine: a local site with a crisis, the real spiders,
    NLP, the store, the rules, console and e-mail alerts, an escalation and an ack (under a minute)."""
    from monitor.demo.run import run_demo

    summary = run_demo(folder, es_url, say=lambda line: click.echo(line, err=as_json))
    if as_json:
        _emit_json(summary)
        return
    click.echo("")
    click.echo(f"Demo finished in {summary['seconds']} s: {summary['mentions']} mentions stored, "
               f"{summary['negative']} negative, {summary['emails']} e-mails in {summary['mail_folder']}")
    click.echo(f"Reply queue: {summary['queue']} negative mention(s) wait for an answer "
               f"(brandmon queue -c {summary['config']})")
    for inc in summary["incidents"]:
        click.echo(f"  {inc['id']}  [{inc['severity']}] {inc['state']:<8} {inc['title']}")
        click.echo(f"      notified: {', '.join(inc['notified']) or '-'}"
                   + (f"  (muted: {inc['muted']})" if inc["muted"] else ""))
    click.echo(f"Look around: brandmon incidents -c {summary['config']}")


@main.command()
@CONFIG_OPTION
@click.option("--once", is_flag=True, required=True, help="Crawl each source once and exit.")
@click.option("--source", "source_names", multiple=True, help="Only this source (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print per-source counts as JSON on the last line.")
def crawl(config_path: Path, once: bool, source_names: tuple[str, ...], as_json: bool) -> None:
    """Crawl sources once, score and store what they find, and print per-source counts.

    Crawls continue where the last one (of this command or the daemon) left off, so "new" counts what
    appeared since; a source blocked by its site is tried anyway and reported with the reason.
    """
    from monitor.app import Monitor
    from monitor.crawl.health import load_health

    settings = _settings(config_path)
    known = {s.name for s in settings.config.sources}
    for name in source_names:
        if name not in known:
            raise click.BadParameter(f"unknown source '{name}' (known: {', '.join(sorted(known))})",
                                     param_hint="--source")
    monitor = Monitor(settings)
    out: dict = {"sources": {}, "mentions": 0, "queued": 0}
    try:
        for source in settings.config.sources:
            if source_names and source.name not in source_names:
                continue
            click.echo(f"crawling {source.name} …", err=True)
            report = monitor.crawl(source, force=True)
            blocked = load_health(monitor, source.name).blocked
            out["sources"][source.name] = {"items": report.items, "new": report.new, "errors": report.errors,
                                           "pages": report.pages, "blocked": blocked, "queued": report.queued}
            out["mentions"] += report.items
            out["queued"] = report.queued  # waiting in the queue (NLP or the store could not take them yet)
            if not as_json:
                click.echo(f"{source.name}: {report.pages} pages, {report.items} mentions, {report.new} new, "
                           f"{report.errors} errors" + (f", BLOCKED: {blocked}" if blocked else "")
                           + (f", {report.queued} waiting in the queue" if report.queued else ""))
    finally:
        monitor.close()
    if as_json:
        _emit_json(out)


@main.command()
@CONFIG_OPTION
@click.option("--state", type=click.Choice(["open", "acked", "resolved", "active", "all"]), default="all",
              show_default=True)
@click.option("--json", "as_json", is_flag=True)
def incidents(config_path: Path, state: str, as_json: bool) -> None:
    """List incidents, newest first, with times in the configured zone."""
    from monitor.store import open_store

    settings = _settings(config_path)
    store = open_store(settings.config)
    states = {"all": (), "active": ("open", "acked")}.get(state, (state,))
    rows = store.incidents(states=states)
    if as_json:
        _emit_json({"incidents": [i.to_dict() for i in rows]})
        return
    zone = settings.config.zone
    if not rows:
        click.echo("no incidents")
    for inc in rows:
        click.echo(f"{inc.id}  {inc.opened_at.astimezone(zone):%Y-%m-%d %H:%M}  [{inc.severity}] "
                   f"{inc.state:<8} {inc.brand}  {inc.title}")


def incident_manager(settings: "Settings"):
    """The notification policy without the NLP stage: changing one incident must not load models."""
    from monitor.alerting.notify import Notifier
    from monitor.alerting.policy import IncidentManager
    from monitor.clock import Clock
    from monitor.store import open_store

    return IncidentManager(settings, open_store(settings.config), Notifier(settings.config), Clock())


def _incident_command(action: str):
    @CONFIG_OPTION
    @click.argument("incident_id")
    @click.option("--by", default=None, help="Who is acting (default: the shell user).")
    @click.option("--note", default=None, help="A note for the timeline and the post-mortem.")
    @click.option("--json", "as_json", is_flag=True, help="Print the incident as JSON.")
    def command(config_path: Path, incident_id: str, by: str | None, note: str | None, as_json: bool) -> None:
        import getpass

        from monitor.i18n import t
        from monitor.sanitize import clean_name

        manager = incident_manager(_settings(config_path))
        try:
            incident = getattr(manager, action)(incident_id, clean_name(by) or getpass.getuser(), note)
        except KeyError:
            click.echo(t(f"没有事件 {incident_id}", f"no incident {incident_id}"), err=True)
            sys.exit(1)
        finally:
            manager.store.close()
        if as_json:
            _emit_json(incident.to_dict())
        else:
            click.echo(f"{incident.id}: {incident.state}")
    return command


main.command("ack", help="Acknowledge an incident: escalation stops (--note goes on its timeline).")(
    _incident_command("ack"))
main.command("resolve", help="Resolve an incident by hand and send the resolved notice (--note: why).")(
    _incident_command("resolve"))


@main.command()
@CONFIG_OPTION
@click.argument("incident_id")
@click.option("--json", "as_json", is_flag=True, help='Print {"incident": …, "events": […]} as JSON.')
def timeline(config_path: Path, incident_id: str, as_json: bool) -> None:
    """Print an incident's timeline as Markdown (see also `brandmon postmortem`)."""
    from monitor.alerting.message import timeline_markdown
    from monitor.store import open_store

    settings = _settings(config_path)
    store = open_store(settings.config)
    incident = store.get_incident(incident_id)
    if incident is None:
        click.echo(f"no incident {incident_id}", err=True)
        sys.exit(1)
    if as_json:
        _emit_json({"incident": incident.to_dict(), "events": [e.to_dict() for e in store.events(incident_id)]})
        return
    click.echo(timeline_markdown(incident, store.events(incident_id), settings.config.zone))


# Command groups that live in their own modules register here, one line each.
from monitor.commands import daemon as daemon_commands  # noqa: E402
daemon_commands.add_to(main)
from monitor.commands import rules as rules_commands  # noqa: E402
rules_commands.add_to(main)
from monitor.commands import es as es_commands  # noqa: E402
es_commands.add_to(main)
from monitor.commands import nlp as nlp_commands  # noqa: E402
nlp_commands.add_to(main)
from monitor.commands import importing as importing_commands  # noqa: E402
importing_commands.add_to(main)
from monitor.commands import nlp_labels as nlp_label_commands  # noqa: E402
nlp_label_commands.add_to(nlp_commands.nlp)
from monitor.commands import queue as queue_commands  # noqa: E402
queue_commands.add_to(main)
from monitor.commands import incident as incident_commands  # noqa: E402
incident_commands.add_to(main)
from monitor.commands import login as login_commands  # noqa: E402
login_commands.add_to(main)

# Under a Chinese locale the overview speaks Chinese (each command's own --help stays in English for now).
SHORT_ZH = {
    "ack": "确认事件：停止升级通知（--note 记入时间线）", "assign": "指派事件负责人", "check": "检查配置、规则与预案",
    "crawl": "立即抓取一次各来源并入库", "demo": "在本机完整演示一遍：抓取、分析、告警、确认",
    "es": "Elasticsearch 索引的创建与迁移", "incidents": "列出事件（最新在前）", "login": "扫码登录平台账号，Cookie 存入账号池",
    "kibana": "导入 Kibana 视图与仪表盘",
    "nlp": "评估与训练情感模型", "note": "为事件添加备注", "postmortem": "生成事件复盘（Markdown、HTML 与图表）",
    "queue": "回复队列：待回复的负面提及（最早在前），指派、处理、暂缓", "reload": "让运行中的守护进程重新加载配置",
    "report": "生成或发送日报、周报、月报", "resolve": "手动恢复事件并发送恢复通知", "rules": "规则：回测等",
    "run": "运行守护进程：抓取、分析、检测、升级通知、定时报告", "search": "检索提及（关键词可省略，只用筛选条件）",
    "silence": "静默某品牌或规则的通知", "status": "守护进程、各来源健康、未结事件与存储状态",
    "timeline": "打印事件时间线",
}


def _localise_overview() -> None:
    from monitor.i18n import is_zh

    if not is_zh():
        return
    main.help = ("brandmon：监测论坛、评论区与资讯中关于您品牌的讨论，分析情感，并把危机升级通知到负责的人。\n\n"
                 "先运行 `brandmon demo`；然后复制 config.example.yaml 修改，`brandmon check -c config.yaml` "
                 "通过后再 `brandmon run`。")
    for name, text in SHORT_ZH.items():
        if name in main.commands:
            main.commands[name].short_help = text


_localise_overview()
