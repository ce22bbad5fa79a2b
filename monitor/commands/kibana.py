"""`brandmon kibana import`: brandmon's data views, saved searches and dashboard into Kibana."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from monitor.cli import CONFIG_OPTION, _settings

@click.group()
def kibana() -> None:
    """Kibana: import brandmon's data views, saved searches and dashboard."""


@kibana.command("import")
@CONFIG_OPTION
@click.option("--url", default=None, help="Kibana's base URL (default: alerting.kibana_url from the config).")
@click.option("--file", "path", type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None,
              help="Saved objects to import (default: the shipped kibana/brandmon.ndjson).")
@click.option("--space", default=None, help="A Kibana space id (default: the default space).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on the last line.")
def import_command(config_path: Path, url: str | None, path: Path | None, space: str | None, as_json: bool) -> None:
    """Import the objects with overwrite: running it again updates them in place."""
    from urllib.error import HTTPError, URLError
    from urllib.parse import quote

    from monitor.kibana_objects import FILE_PREFIX, SHIPPED, import_objects, saved_objects

    settings = _settings(config_path)
    config = settings.config
    url = url or config.alerting.kibana_url
    if not url:
        raise click.UsageError("give --url or set alerting.kibana_url in the config")
    path = path or SHIPPED
    if not path.exists():
        raise click.UsageError(f"{path} is missing: pass --file kibana/brandmon.ndjson from the brandmon sources")
    es = config.store.elasticsearch
    prefix = es.index_prefix if es else FILE_PREFIX
    objects = saved_objects(path.read_text(encoding="utf-8"), prefix, [b.name for b in config.brands])
    base = url.rstrip("/") + (f"/s/{quote(space)}" if space else "")
    auth = (es.username, es.password or "") if es is not None and es.username else None
    try:
        answer = import_objects(base, objects, auth)
    except HTTPError as exc:
        click.echo(f"brandmon kibana import: Kibana answered HTTP {exc.code}: {exc.read()[:500].decode(errors='replace')}",
                   err=True)
        sys.exit(1)
    except URLError as exc:
        click.echo(f"brandmon kibana import: cannot reach Kibana at {url}: {exc.reason}", err=True)
        sys.exit(1)
    for error in answer.get("errors") or []:
        click.echo(f"  {error.get('type')} {error.get('id')}: {json.dumps(error.get('error'), ensure_ascii=False)}",
                   err=True)
    if not answer.get("success"):
        click.echo(f"brandmon kibana import: {answer.get('successCount', 0)} of {len(objects)} objects imported",
                   err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps({"imported": answer.get("successCount", len(objects)), "kibana": base,
                               "prefix": prefix}, ensure_ascii=False))
        return
    click.echo(f"imported {answer.get('successCount', len(objects))} objects into {base}: data views "
               f"{prefix}-mentions and {prefix}-incidents, saved searches 负面提及 and one per brand, "
               f"dashboard 'brandmon 舆情总览'")
