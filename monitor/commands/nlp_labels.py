"""`brandmon nlp eval-brands`: check a brand config on labelled sentences before it goes live."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import click

from monitor.cli import CONFIG_OPTION, _emit_json, _settings


def _read(path: Path, reader):
    try:
        rows = reader(path)
    except UnicodeDecodeError as exc:
        click.echo(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})", err=True)
        sys.exit(2)
    except (ValueError, csv.Error) as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    if not rows:
        click.echo(f"{path}: no labelled rows", err=True)
        sys.exit(2)
    return rows


@click.command("eval-brands")
@click.argument("csv_path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@CONFIG_OPTION
@click.option("--json", "as_json", is_flag=True,
              help='Print {"precision", "recall", "f1", "n", …} as JSON on the last line.')
def eval_brands(csv_path: Path, config_path: Path, as_json: bool) -> None:
    """Precision, recall and F1 of the config's brand matching over (text, brand) pairs of a labelled CSV
    (columns text,brands; brand names joined by |, empty when the text is about none), and every miss."""
    from monitor.nlp.brand_eval import evaluate_brands, read_labelled, report_lines
    from monitor.nlp.pipeline import NlpStage

    config = _settings(config_path).config
    rows = _read(csv_path, read_labelled)
    known = {b.name for b in config.brands}
    unknown = sorted({b for _, labelled in rows for b in labelled} - known)
    if unknown:
        click.echo(f"{csv_path}: labels name brands the config does not watch: {', '.join(unknown)} "
                   f"(configured: {', '.join(sorted(known))})", err=True)
        sys.exit(2)
    matcher = NlpStage.brand_matcher(config.brands, config.nlp)
    result = evaluate_brands(matcher.match, rows)
    for line in report_lines(result):
        click.echo(line, err=as_json)
    if as_json:
        _emit_json(result.to_json())


def add_to(group: click.Group) -> None:
    group.add_command(eval_brands)
