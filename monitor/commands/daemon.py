"""`brandmon run` and `brandmon reload`: the long-running daemon and how to change its config live."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from pathlib import Path

import click

from monitor.cli import CONFIG_OPTION, _emit_json, _settings

EXIT_ALREADY_RUNNING = 3
EXIT_NOT_RUNNING = 3


@click.command("run")
@CONFIG_OPTION
@click.pass_context
def run(ctx: click.Context, config_path: Path) -> None:
    """Run the daemon: crawl every source on its interval, score, store, evaluate the rules, escalate incidents,
    send scheduled reports, and serve /healthz, /metrics and ack links.

    SIGHUP (or `brandmon reload`) re-reads the config; SIGTERM stops it cleanly. Logs go to stderr
    (INFO unless --log-level says otherwise).
    """
    from monitor.process import AlreadyRunning, Signals, StateLock

    if ctx.find_root().get_parameter_source("log_level").name == "DEFAULT":
        logging.getLogger().setLevel(logging.INFO)
        logging.getLogger("scrapy").setLevel(logging.WARNING)  # per-crawl banners would drown the daemon's own lines
        # one line per Elasticsearch request, and one per failed request while it is down: the daemon's
        # own fault lines say when the store goes and comes back
        logging.getLogger("elastic_transport").setLevel(logging.ERROR)
    signals = Signals()
    signals.install()
    settings = _settings(config_path)
    from monitor.logs import MASKER

    MASKER.learn(settings.config)
    lock = StateLock(settings.config.state_dir)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        click.echo(f"brandmon run: {exc}", err=True)
        sys.exit(EXIT_ALREADY_RUNNING)
    web = _serve_health(settings.config.http.bind)
    # the heavy part (NLP models, Scrapy, the store): /healthz already answers "starting" meanwhile
    from monitor.daemon import Daemon
    from monitor.queue import QueueBroken
    from monitor.store import StoreUnavailable
    from monitor.store.elastic_schema import MappingOutdated

    try:
        daemon = Daemon(settings, lock=lock, web=web)
    except MappingOutdated as exc:
        click.echo(f"brandmon run: {exc}", err=True)
        sys.exit(2)
    except (StoreUnavailable, QueueBroken) as exc:  # systemd restarts it, rate-limited by StartLimit*
        click.echo(f"brandmon run: cannot start: {exc}", err=True)
        sys.exit(1)
    sys.exit(daemon.run(signals))


def _serve_health(bind: str):
    from monitor.web import Booting, WebServer

    try:
        return WebServer(Booting(), bind).start()
    except OSError as exc:
        click.echo(f"brandmon run: cannot serve HTTP on {bind} (http.bind): {exc.strerror or exc}", err=True)
        sys.exit(2)


@click.command("reload")
@CONFIG_OPTION
@click.option("--json", "as_json", is_flag=True, help="One JSON object on the last line.")
@click.option("--wait", "wait_seconds", type=float, default=30.0, show_default=True,
              help="How long to wait for the daemon's answer.")
def reload(config_path: Path, wait_seconds: float, as_json: bool = False) -> None:
    """Validate the config, then ask the running daemon to swap it in (SIGHUP) and print its answer.

    Exit 0 when applied; 2 when the config (or the daemon) refused it, with one line per problem;
    3 when no daemon runs on the config's state_dir.
    """
    from monitor.daemon import RELOAD_KEY, running_pid
    from monitor.store import open_store

    settings = _settings(config_path)
    state_dir = settings.config.state_dir
    pid = running_pid(state_dir)
    if pid is None:
        click.echo(f"brandmon reload: no daemon is running on {state_dir}", err=True)
        sys.exit(EXIT_NOT_RUNNING)
    store = open_store(settings.config)
    try:
        before = (store.get_state(RELOAD_KEY) or {}).get("at")
        os.kill(pid, signal.SIGHUP)
        deadline = time.monotonic() + wait_seconds
        answer = None
        while time.monotonic() < deadline:
            answer = store.get_state(RELOAD_KEY)
            if answer and answer.get("at") != before:
                break
            answer = None
            time.sleep(0.2)
    finally:
        store.close()
    if answer is None:
        click.echo(f"brandmon reload: sent SIGHUP to pid {pid}; no answer within {wait_seconds:.0f} s "
                   "(see the daemon's log)", err=True)
        sys.exit(1)
    if not answer["ok"]:
        for problem in answer["problems"]:
            click.echo(problem, err=True)
        click.echo("reload refused: the daemon keeps running the previous config", err=True)
        sys.exit(2)
    if as_json:
        _emit_json({"reloaded": True, "pid": pid, "rules": len(settings.rules),
                    "sources": len(settings.config.sources)})
        return
    click.echo(f"reloaded: pid {pid} now runs {len(settings.rules)} rules and {len(settings.config.sources)} sources")


def add_to(group: click.Group) -> None:
    """Register the operations commands: run, reload, status, report."""
    from monitor.commands.report import report
    from monitor.commands.status import status

    for command in (run, reload, status, report):
        group.add_command(command)
