"""`brandmon status`: is the daemon up, is every source alive, what is open, is the store reachable."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import click

from monitor.cli import CONFIG_OPTION, _emit_json, _settings

EXIT_NOT_RUNNING = 3


def gather(settings) -> dict:
    """Everything the status shows, from the lock file and the store (works while the daemon is down, too)."""
    from monitor.clock import Clock
    from monitor.crawl.health import CrawlHealth, load_health
    from monitor.daemon import HEARTBEAT_EVERY, STATUS_PREFIX, running_pid, status_key
    from monitor.incident import ACKED, OPEN
    from monitor.store import StoreUnavailable, open_store
    from monitor.store.base import Query

    config = settings.config
    now = Clock().now()
    pid = running_pid(config.state_dir)
    store_info: dict = {"backend": config.store.backend, "reachable": False}
    daemon_state, incidents, health, daemons = None, [], {}, []
    try:
        store = open_store(config)
    except StoreUnavailable as exc:
        store_info["error"] = str(exc)
        incidents, store = None, None
    if store is not None:
        try:
            if not store.ping():
                raise StoreUnavailable("no answer")
            mentions = store.count(Query())
            mentions_24h = store.count(Query(start=now - timedelta(hours=24), end=now))
            every = store.states(STATUS_PREFIX)
            daemon_state = every.get(status_key(config))
            daemons = [_other(state, now, HEARTBEAT_EVERY) for state in every.values()]
            incidents = [i.to_dict() for i in store.incidents(states=(OPEN, ACKED), limit=1000)]
            health = {s.name: load_health(store, s.name) for s in config.sources}
            store_info.update(reachable=True, mentions=mentions, mentions_24h=mentions_24h)
        except StoreUnavailable as exc:  # down, damaged or missing indices: say so, never "nothing open"
            store_info["error"] = str(exc)
            incidents = None
        finally:
            store.close()
    sources = []
    for source in config.sources:
        crawl = health.get(source.name) or CrawlHealth(source.name)
        sources.append({**crawl.to_dict(), "name": source.name, "type": source.type,
                        "interval": source.interval.total_seconds(),
                        "health": crawl.state(source.interval, now) if pid or crawl.needs_login else "unknown"})
    daemon = {"running": pid is not None, "pid": pid}
    if pid is not None:
        daemon["health"] = _ask_health(config.http.bind)
    if daemon_state:
        daemon.update({k: daemon_state.get(k) for k in ("started_at", "heartbeat_at", "http", "version", "reload",
                                                         "queue", "leader", "lease_token")})
    return {"daemon": daemon, "daemons": daemons, "store": store_info, "sources": sources, "incidents": incidents}


def _other(state: dict, now: datetime, every: float) -> dict:
    """One daemon sharing the store, as its last heartbeat said; "stale" after three missed heartbeats."""
    beat = state.get("heartbeat_at")
    age = (now - datetime.fromisoformat(beat)).total_seconds() if beat else None
    return {**{k: state.get(k) for k in ("host", "state_dir", "pid", "heartbeat_at", "leader", "lease_token",
                                         "holder", "http", "version")},
            "stale": age is None or age > 3 * every}


def _ask_health(bind: str) -> list[str] | None:
    """The running daemon's own /healthz reasons (it knows what is failing even when the store is down)."""
    import json
    import urllib.error
    import urllib.request

    from monitor.web import parse_bind

    host, port = parse_bind(bind)
    host = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)
    url = f"http://[{host}]:{port}/healthz" if ":" in host else f"http://{host}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read() or b"{}")
    except (OSError, ValueError):
        return None
    return body.get("reasons", [])


@click.command("status")
@CONFIG_OPTION
@click.option("--json", "as_json", is_flag=True, help="One JSON object on the last line.")
def status(config_path: Path, as_json: bool) -> None:
    """Show the daemon, each source's health (last crawl, items, errors), open incidents and the store.

    Exit 0 when a daemon runs on the config's state_dir, 3 when none does.
    """
    settings = _settings(config_path)
    info = gather(settings)
    if as_json:
        _emit_json(info)
    else:
        _print(info, settings.config.zone)
    sys.exit(0 if info["daemon"]["running"] else EXIT_NOT_RUNNING)


def _local(value: str | None, zone) -> str:
    return datetime.fromisoformat(value).astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else "-"


def _print(info: dict, zone) -> None:
    d, s = info["daemon"], info["store"]
    if d["running"]:
        reload = d.get("reload") or {}
        reloaded = "" if not reload else (f", last reload {'applied' if reload['ok'] else 'REFUSED'} "
                                          f"{_local(reload['at'], zone)}")
        click.echo(f"daemon   running, pid {d['pid']}, since {_local(d.get('started_at'), zone)}, "
                   f"{d.get('http') or 'no http'}{reloaded}")
    else:
        click.echo("daemon   NOT RUNNING")
    if s["reachable"]:
        queue = d.get("queue") or {}
        click.echo(f"store    {s['backend']}, reachable, {s['mentions']} mentions ({s['mentions_24h']} in 24 h), "
                   f"queue {queue.get('mentions', 0)} waiting, {queue.get('dead_letters', 0)} dead letters")
    else:
        click.echo(f"store    {s['backend']}, UNREACHABLE: {s.get('error', 'no answer')}")
    click.echo("")
    rows = [("SOURCE", "HEALTH", "LAST CRAWL", "LAST SUCCESS", "CRAWLS", "ITEMS", "NEW", "ERRORS", "SKIPPED",
             "ERROR RATE")]
    for src in info["sources"]:
        last = src["last"]
        why = src.get("needs_login") or src["blocked"]  # needing login is also a block: say the login reason
        rows.append((src["name"], src["health"] + (f" ({why})" if why else ""),
                     _local(src["last_crawl"], zone), _local(src["last_success"], zone), str(src["crawls"]),
                     str(last.get("items", 0)), str(last.get("new", 0)), str(last.get("errors", 0)),
                     str(sum((last.get("skipped") or {}).values())), f"{src['error_rate']:.0%}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        click.echo("  ".join(c.ljust(w) if i < 4 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    if len(info.get("daemons") or ()) > 1:
        click.echo("")
        rows = [("DAEMON", "PID", "LEADER", "TOKEN", "HEARTBEAT", "")]
        for o in info["daemons"]:
            rows.append((f"{o['host']}:{o['state_dir']}", str(o["pid"]), "yes" if o["leader"] else "no",
                         str(o["lease_token"] or "-"), _local(o["heartbeat_at"], zone), "STALE" if o["stale"] else ""))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    if d["running"] and d.get("health") is None:
        click.echo("health   the daemon's /healthz did not answer")
    for reason in d.get("health") or ():
        click.echo(f"fault    {reason}")
    click.echo("")
    if info["incidents"] is None:
        click.echo("open incidents UNKNOWN: the store is unreachable (see above)")
        return
    if not info["incidents"]:
        click.echo("no open incidents")
    for inc in info["incidents"]:
        click.echo(f"{inc['id']}  {_local(inc['opened_at'], zone)}  [{inc['severity']}] {inc['state']:<6} "
                   f"{inc['brand']}  {inc['title']}")
