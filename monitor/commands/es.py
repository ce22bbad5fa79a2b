"""`brandmon es setup|migrate`: the Elasticsearch indices, their template and mapping version."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.cli import CONFIG_OPTION, _settings

if TYPE_CHECKING:
    from monitor.config.model import ElasticConfig

EXIT_TROUBLE = 1


def elastic_config(config_path: Path) -> tuple[ElasticConfig, Path]:
    """The config's Elasticsearch section and this host's queue folder."""
    config = _settings(config_path).config
    es = config.store.elasticsearch
    if es is None:
        click.echo(f"{config_path}: store.elasticsearch is not set (url, index_prefix)", err=True)
        sys.exit(2)
    return es, config.state_dir / "queue"


def _say_queued(folder: Path) -> None:
    from monitor.queue import QueueBroken, WorkQueue

    if not (folder / "queue.db").exists():
        return
    try:
        queue = WorkQueue(folder)
    except QueueBroken:
        return
    items, mentions = queue.depth()
    queue.close()
    if items:
        click.echo(f"{mentions} mentions ({items} items) wait in the queue {folder}: the daemon, or the next "
                   "`brandmon crawl`, stores them")


def _fail(message: str) -> None:
    click.echo(f"brandmon es: {message}", err=True)
    sys.exit(EXIT_TROUBLE)


@click.group()
def es() -> None:
    """Set up and migrate the Elasticsearch indices (store.elasticsearch in the config)."""


@es.command()
@CONFIG_OPTION
@click.option("--json", "as_json", is_flag=True, help="One JSON object on the last line.")
def setup(config_path: Path, as_json: bool) -> None:
    """Create the mentions template, the indices and their aliases, if missing (safe to repeat).

    Exits 1, changing nothing, when the live mapping is of another version: `brandmon es migrate`.
    """
    from monitor.store.elastic import connect, unreachable
    from monitor.store.elastic_schema import Layout, MappingOutdated, install

    config, queue = elastic_config(config_path)
    layout = Layout(config.index_prefix)
    client = connect(config)
    try:
        status = install(client, layout)
    except MappingOutdated as exc:
        _fail(str(exc))
    except Exception as exc:
        if not unreachable(exc):
            raise
        _fail(f"cannot reach {config.url}: {exc}")
    finally:
        client.close()
    if as_json:
        click.echo(json.dumps({"status": status, "prefix": layout.prefix, "version": layout.version,
                               "alias": layout.mentions}, ensure_ascii=False))
        return
    said = {"created": "created", "completed": "completed the missing indices of", "ok": "already up to date:"}
    click.echo(f"{said[status]} '{layout.prefix}' at mapping version {layout.version}; "
               f"Kibana and the rules read the alias {layout.mentions}")
    _say_queued(queue)


@es.command()
@CONFIG_OPTION
@click.option("--json", "as_json", is_flag=True, help="One JSON object on the last line.")
def migrate(config_path: Path, as_json: bool) -> None:
    """Copy every index to this brandmon's mapping version, then switch the aliases and delete the old
    indices. Stop the daemons first; an interrupted migration can be run again."""
    from monitor.store.elastic import connect
    from monitor.store.elastic_migrate import MigrationFailed, migrate as run
    from monitor.store.elastic_schema import MappingOutdated

    config, queue = elastic_config(config_path)
    client = connect(config, timeout=120)
    try:
        done = run(client, config.index_prefix, say=lambda line: click.echo(line, err=as_json))
    except (MappingOutdated, MigrationFailed) as exc:
        _fail(str(exc))
    finally:
        client.close()
    if as_json:
        click.echo(json.dumps({"prefix": done.prefix, "from_version": done.from_version,
                               "to_version": done.to_version, "copied": dict(done.copied)}, ensure_ascii=False))
    elif done.from_version == done.to_version or done.from_version is None:
        click.echo(f"'{done.prefix}' is at mapping version {done.to_version}: nothing to migrate")
    else:
        click.echo(f"migrated '{done.prefix}' from version {done.from_version} to {done.to_version}: "
                   + ", ".join(f"{n} {family}" for family, n in done.copied.items()))
    _say_queued(queue)


def add_to(main: click.Group) -> None:
    """Register the Elasticsearch and search commands: es, search, kibana."""
    from monitor.commands.kibana import kibana
    from monitor.commands.search import search

    for command in (es, search, kibana):
        main.add_command(command)
