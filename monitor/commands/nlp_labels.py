"""`brandmon nlp eval-brands` and `eval-categories`: check brand matching and complaint categories on
labelled sentences before going live."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from monitor.cli import CONFIG_OPTION, _emit_json, _settings
from monitor.commands.nlp import read_rows


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
    rows = read_rows(csv_path, read_labelled)
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


@click.command("eval-categories")
@click.argument("csv_path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--config", "-c", "config_path", type=click.Path(path_type=Path), default=None,
              help="Config whose nlp.categories to use (default: config.yaml or BRANDMON_CONFIG when present, "
                   "else the built-in categories).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"precision", "recall", "f1", "macro_f1", "categories": {…}, "n"} as JSON on the last line.')
def eval_categories(csv_path: Path, config_path: Path | None, as_json: bool) -> None:
    """Precision and recall per complaint category on a labelled CSV of complaints (columns text,categories;
    categories joined by |, empty when a complaint is about none of them), and every miss."""
    from monitor.commands.nlp import _nlp_config
    from monitor.nlp.categories import Categorizer
    from monitor.nlp.category_eval import evaluate_categories, read_labelled, report_lines
    from monitor.nlp.normalize import normalize_many

    cfg = _nlp_config(config_path).categories
    categorizer = Categorizer(cfg.terms, cfg.only)
    rows = read_rows(csv_path, read_labelled)
    unknown = sorted({c for _, labelled in rows for c in labelled} - set(categorizer.names))
    if unknown:
        click.echo(f"{csv_path}: unknown categories {', '.join(unknown)} (known: {', '.join(categorizer.names)})",
                   err=True)
        sys.exit(2)
    result = evaluate_categories(lambda texts: [categorizer.categorize(n.plain) for n in normalize_many(texts)],
                                 categorizer.names, rows)
    for line in report_lines(result):
        click.echo(line, err=as_json)
    if as_json:
        _emit_json(result.to_json())


def add_to(group: click.Group) -> None:
    group.add_command(eval_brands)
    group.add_command(eval_categories)
