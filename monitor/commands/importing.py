"""`brandmon import FILE.jsonl`: load history (an export, a labelled stream) with its own times."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from monitor.cli import CONFIG_OPTION, _emit_json, _settings


@click.command("import")
@CONFIG_OPTION
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--keep-sentiment", is_flag=True,
              help="Keep the sentiment_label (and sentiment score) each record carries instead of scoring the text.")
@click.option("--batch", default=2000, show_default=True, type=click.IntRange(1, 100_000),
              help="Records scored and stored together.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as one JSON object on the last line.")
def import_(config_path: Path, path: Path, keep_sentiment: bool, batch: int, as_json: bool) -> None:
    """Load mentions from a JSON-lines file into the configured store, through the normal NLP and
    repost-clustering path, keeping their own published times (README: "Importing history").

    Records that name no configured brand are skipped; a malformed line is reported with its number and
    skipped, the rest still loads. Exit 1 when any line was bad. Re-importing updates, never duplicates.
    """
    from monitor.importer import Importer, ImportReport, read_jsonl
    from monitor.store import open_store

    settings = _settings(config_path)
    store = open_store(settings.config)
    report = ImportReport()
    size = path.stat().st_size
    try:
        importer = Importer(settings.config.brands, settings.config.nlp, store, keep_sentiment)
        with path.open("r", encoding="utf-8", errors="replace") as lines, \
                click.progressbar(length=size, label=f"importing {path.name}", file=sys.stderr,
                                  show_pos=False, show_percent=True, show_eta=True) as bar:
            def counted():
                for line in lines:
                    bar.update(len(line.encode("utf-8")))
                    yield line
            importer.load(read_jsonl(counted()), report, batch=batch)
    finally:
        store.close()
    for number, reason in report.bad[:20]:
        click.echo(f"{path}:{number}: {reason}", err=True)
    if len(report.bad) > 20:
        click.echo(f"… and {len(report.bad) - 20} more bad lines", err=True)
    summary = {"read": report.read, "stored": report.stored, "not_about_a_brand": report.irrelevant,
               "bad": len(report.bad)}
    if as_json:
        _emit_json(summary)
    else:
        click.echo(f"{report.stored} mentions stored, {report.irrelevant} about no configured brand, "
                   f"{len(report.bad)} bad lines (of {report.read})")
    if report.bad:
        sys.exit(1)


def add_to(main: click.Group) -> None:
    main.add_command(import_)
