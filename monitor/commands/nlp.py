"""`brandmon nlp eval | train | export`: measure the sentiment model on your labels, adapt it to them, and
pick the stored mentions it is least sure of for labelling. Labels are CSV `label,text` with label
negative, neutral or positive (or 1 positive, 0 negative); rows with an empty label are skipped, so an
exported file can be labelled in part."""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from pathlib import Path

import click

from monitor.cli import CONFIG_OPTION, _emit_json, _settings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.config.model import NlpConfig

_OPTIONAL_CONFIG = click.option(
    "--config", "-c", "config_path", type=click.Path(path_type=Path), default=None,
    help="Config whose models folder, model and thresholds to use (default: config.yaml or "
         "BRANDMON_CONFIG when present, else the built-in defaults).")
_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@click.group()
def nlp() -> None:
    """Measure and adapt the text understanding: the sentiment model (eval, train, export), brand matching
    (eval-brands) and complaint categories (eval-categories)."""


def _nlp_config(config_path: Path | None) -> "NlpConfig":
    """The NLP settings from the config when there is one, else the defaults (models in ./brandmon-data/models)."""
    from monitor.config.model import Config, NlpConfig

    if config_path is None:
        default = Path(os.environ.get("BRANDMON_CONFIG", "config.yaml"))
        config_path = default if default.is_file() else None
    if config_path is None:
        return NlpConfig(models_dir=Config.model_fields["state_dir"].default / "models")
    return _settings(config_path).config.nlp


def read_rows(path: Path, reader, empty: str = "no labelled rows") -> list:
    """A labelled file read by `reader`, or one clear line and exit 2 (not UTF-8, malformed, or empty)."""
    try:
        rows = reader(path)
    except UnicodeDecodeError as exc:
        click.echo(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})", err=True)
        sys.exit(2)
    except (ValueError, csv.Error) as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    if not rows:
        click.echo(f"{path}: {empty}", err=True)
        sys.exit(2)
    return rows


def _labelled(path: Path) -> list[tuple[str, str]]:
    from monitor.nlp.sentiment import read_training_csv

    return read_rows(path, read_training_csv,
                     "no labelled rows (columns label,text; label negative, neutral, positive, or 1/0)")


def _scorer(name: str | None, models_dir: Path | None):
    from monitor.nlp.sentiment import get_scorer

    try:
        return get_scorer(name, models_dir)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--model") from None


def _classify(scorer, texts: list[str], cfg: NlpConfig) -> tuple[list[float], list[str]]:
    """Scores and labels as the pipeline gives them: normalised first, the configured cut-offs if any."""
    from monitor.nlp.normalize import normalize_many
    from monitor.nlp.sentiment import classify

    return classify(scorer, [n.scored for n in normalize_many(texts)], cfg.sentiment.negative_below,
                    cfg.sentiment.positive_above)


@nlp.command("eval")
@click.argument("csv_path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--model", default=None, help="Scorer name, name@version, or snownlp (default: the configured one).")
@_OPTIONAL_CONFIG
@click.option("--json", "as_json", is_flag=True,
              help='Print {"n", "accuracy", "macro_f1", "negative_precision", "negative_recall", …} as JSON on the '
                   'last line.')
def eval_command(csv_path: Path, model: str | None, config_path: Path | None, as_json: bool) -> None:
    """Accuracy, macro-F1, per-class F1, negative precision and recall and the confusion matrix of a
    scorer on a labelled CSV (label,text; label negative|neutral|positive or 1/0)."""
    from monitor.nlp.evaluate import evaluate, report_lines

    cfg = _nlp_config(config_path)
    rows = _labelled(csv_path)
    scorer = _scorer(model or cfg.sentiment.model, cfg.models_dir)
    scores, called = _classify(scorer, [t for _, t in rows], cfg)
    result = evaluate([y for y, _ in rows], scores, called)
    name = f"{scorer.name}@{scorer.version}"
    cut = cfg.sentiment.negative_below
    how = "the model's calibrated labels" if cut is None else \
        f"labels by score (negative < {cut}, positive > {cfg.sentiment.positive_above})"
    click.echo(f"{name} on {csv_path}, {how}", err=as_json)
    for line in report_lines(result):
        click.echo(line, err=as_json)
    if as_json:
        _emit_json({**result.to_json(), "model": name})


@nlp.command()
@click.argument("csv_path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@_OPTIONAL_CONFIG
@click.option("--name", default="custom", show_default=True, help="Model name; each run saves the next version.")
@click.option("--only-mine", is_flag=True, help="Train on your labels alone, without the shipped training data.")
@click.option("--corpora", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="Also train on the public corpora prepared by scripts/sentiment_data.py (corpora.tsv).")
@click.option("--json", "as_json", is_flag=True, help='Print {"model", "path", "n", "heldout"} as JSON on the last line.')
def train(csv_path: Path, config_path: Path | None, name: str, only_mine: bool, corpora: Path | None,
          as_json: bool) -> None:
    """Train a sentiment model on your labelled mentions and save it as the next version of NAME in the
    state folder's models/, where nlp.sentiment.model can name it."""
    from monitor.nlp.sentiment import DEFAULT_SCORER
    from monitor.nlp.sentiment_train import train_model

    if not _MODEL_NAME.match(name) or "@" in name or name == "snownlp":
        raise click.BadParameter(f"'{name}' cannot name a model: use letters, digits, '.', '_' or '-'",
                                 param_hint="--name")
    cfg = _nlp_config(config_path)
    rows = _labelled(csv_path)
    click.echo(f"training {name} on {len(rows)} labelled texts"
               f"{'' if only_mine else ' plus the shipped training data'} …", err=True)
    try:
        model = train_model(rows, cfg.models_dir, base=None if only_mine else "builtin", name=name,
                            corpora=corpora, progress=lambda step: click.echo(f"  {step} …", err=True))
    except ValueError as exc:
        click.echo(f"{csv_path}: {exc}", err=True)
        sys.exit(2)
    heldout = _heldout_check(model, _scorer(cfg.sentiment.model or DEFAULT_SCORER, cfg.models_dir))
    path = cfg.models_dir / f"{model.name}-{model.version}"
    out = {"model": f"{model.name}@{model.version}", "path": str(path), "n": len(rows), "heldout": heldout}
    click.echo(f"saved {out['model']} in {path}", err=as_json)
    for set_name, figures in heldout.items():
        click.echo(f"  project held-out {set_name}: positive-vs-negative accuracy {figures['new']:.3f} "
                   f"(current model {figures['current']:.3f})", err=as_json)
    click.echo(f"use it: set nlp.sentiment.model: {model.name} in the config, then `brandmon reload`", err=as_json)
    if as_json:
        _emit_json(out)


def _heldout_check(new, current) -> dict[str, dict[str, float]]:
    """Positive-vs-negative accuracy of the new and the current model on the project's own held-out sets: a
    model that got much worse on them learned something odd from the labels."""
    from monitor.nlp.normalize import normalize_many
    from monitor.nlp.sentiment import DATA_DIR, read_labelled_txt

    figures = {}
    for set_name in ("social", "reviews"):
        rows = read_labelled_txt(DATA_DIR / f"heldout_{set_name}.txt")
        texts = [n.scored for n in normalize_many([t for _, t in rows])]
        figures[set_name] = {
            who: round(sum((s >= 0.5) == bool(y) for s, (y, _) in zip(scorer.score_many(texts), rows)) / len(rows), 4)
            for who, scorer in (("new", new), ("current", current))}
    return figures


@nlp.command()
@CONFIG_OPTION
@click.option("--uncertain", "count", type=click.IntRange(min=1), required=True,
              help="How many mentions: those scored closest to the decision boundary, one per story.")
@click.option("--since", default="7d", show_default=True, help="Look at mentions published this long ago or later.")
@click.option("--brand", default=None, help="Only mentions of this brand.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="CSV file to write (default: standard output).")
@click.option("--json", "as_json", is_flag=True, help='Print {"count", "output", "rows": [...]} instead of CSV on '
              "standard output (the CSV file is still written with --output).")
def export(config_path: Path, count: int, since: str, brand: str | None, output: Path | None, as_json: bool) -> None:
    """Write the stored mentions the model is least sure of as CSV (label,text,score,…) with the label
    column empty: fill in negative, neutral or positive, then `brandmon nlp train FILE`."""
    from monitor.clock import Clock
    from monitor.config.durations import parse_duration
    from monitor.nlp.evaluate import uncertain
    from monitor.store import Query, open_store

    settings = _settings(config_path)
    if brand is not None and brand not in {b.name for b in settings.config.brands}:
        raise click.BadParameter(f"unknown brand '{brand}'", param_hint="--brand")
    try:
        window = parse_duration(since)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    store = open_store(settings.config)
    try:
        recent = store.find(Query(brand=brand, start=Clock().now() - window), limit=max(5000, 50 * count))
    finally:
        store.close()
    picked = uncertain(recent, count)
    header = ["label", "text", "score", "model", "brands", "id", "url", "published_at"]
    rows = [["", f"{m.title}\n{m.text}" if m.title else m.text, m.sentiment, m.model, " ".join(m.brands), m.id, m.url,
             m.published_at.isoformat()] for m in picked]
    if as_json and not output:
        click.echo(json.dumps({"count": len(rows), "output": None, "rows": [dict(zip(header, r)) for r in rows]},
                              ensure_ascii=False))
        return
    handle = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    finally:
        if output:
            handle.close()
    if as_json:
        click.echo(json.dumps({"count": len(rows), "output": str(output)}, ensure_ascii=False))
        return
    click.echo(f"{len(picked)} mentions to label{f' in {output}' if output else ''} "
               f"(of {len(recent)} stored in the last {since})", err=True)


def add_to(main: click.Group) -> None:
    main.add_command(nlp)
