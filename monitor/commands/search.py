"""`brandmon search`: find stored mentions by words, brand, recency and sentiment, in whichever store
the config names (embedded or Elasticsearch)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from monitor.cli import CONFIG_OPTION, _emit_json, _settings
from monitor.i18n import t

SENTIMENTS = ("negative", "neutral", "positive")
SNIPPET = 60


@click.command()
@CONFIG_OPTION
@click.argument("words", nargs=-1)
@click.option("--brand", default=None, help="Only mentions of this configured brand.")
@click.option("--since", default=None, help="Only mentions published in this last stretch: 90m, 24h, 7d.")
@click.option("--sentiment", type=click.Choice(SENTIMENTS), multiple=True, help="Only this label (repeatable).")
@click.option("--platform", "platforms", multiple=True, help="Only this platform (repeatable).")
@click.option("--source", "sources", multiple=True, help="Only this configured source (repeatable).")
@click.option("--crisis", is_flag=True, help="Only mentions carrying crisis terms (爆炸, 召回, 维权…); with --brand, said of that brand.")
@click.option("--min-followers", type=click.IntRange(0), default=None, help="Only authors with this many followers.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help='Print {"total": n, "mentions": [...]} as JSON.')
def search(config_path: Path, words: tuple[str, ...], brand: str | None, since: str | None,
           sentiment: tuple[str, ...], platforms: tuple[str, ...], sources: tuple[str, ...], crisis: bool,
           min_followers: int | None, limit: int, as_json: bool) -> None:
    """Mentions matching the filters and, when WORDS are given, containing every word; newest first, in the
    configured zone. Filters alone work too: `brandmon search --sentiment negative --since 2h`."""
    from monitor.clock import Clock
    from monitor.config.durations import parse_duration
    from monitor.store import Query, open_store

    settings = _settings(config_path)
    config = settings.config
    known = [b.name for b in config.brands]
    if brand is not None and brand not in known:
        raise click.BadParameter(f"unknown brand '{brand}' (configured: {', '.join(known)})", param_hint="--brand")
    unknown = [s for s in sources if s not in {c.name for c in config.sources}]
    if unknown:
        raise click.BadParameter(f"unknown source '{unknown[0]}' (configured: "
                                 f"{', '.join(c.name for c in config.sources) or 'none'})", param_hint="--source")
    start = None
    if since is not None:
        try:
            start = Clock().now() - parse_duration(since)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--since") from None
    query = " ".join(w for w in words if w.strip())
    if query:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        for term in (t for b in config.brands for t in b.terms):  # segment the query as mentions are: brands whole
            jieba.add_word(term, freq=100000)
    q = Query(brand=brand, sentiments=sentiment, platforms=platforms, sources=sources, crisis=crisis,
              min_followers=min_followers, text=query or None, start=start)
    store = open_store(config)
    try:
        total = store.count(q)
        found = store.find(q, limit=limit)
    except Exception as exc:
        click.echo(f"brandmon search: the {config.store.backend} store failed: {exc}", err=True)
        sys.exit(1)
    finally:
        store.close()
    if as_json:
        _emit_json({"total": total, "mentions": [m.to_dict() for m in found]})
        return
    shown = f" (showing {len(found)})" if total > len(found) else ""
    click.echo(t(f"共 {total} 条匹配，最新的在前" + (f"（显示 {len(found)} 条）" if shown else ""),
                 f"{total} mention(s) match, newest first{shown}"))
    for m in found:
        text = " ".join(m.text.split())
        click.echo(f"{m.published_at.astimezone(config.zone):%Y-%m-%d %H:%M}  [{m.sentiment_label or '-'}] "
                   f"{'/'.join(m.brands) or '-'}  {m.source}  {m.author.name or '匿名'}: "
                   f"{text[:SNIPPET]}{'…' if len(text) > SNIPPET else ''}")
        click.echo(f"    {m.url}")
