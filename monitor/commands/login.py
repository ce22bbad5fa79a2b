"""`brandmon login PLATFORM`: log an operator's account in to a platform and keep its cookies in the pool."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from monitor.cli import CONFIG_OPTION, _emit_json, _settings

EXIT_FAILED = 1


@click.command("login")
@click.argument("platform")
@CONFIG_OPTION
@click.option("--account", default="default", show_default=True,
              help="A name for this login; logging in again under the same name replaces it.")
@click.option("--invert", is_flag=True, help="Draw the QR code for a light terminal background.")
@click.option("--list", "listing", is_flag=True, help="Only show the pool's accounts: status, expiry, last use.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on the last line.")
def login(platform: str, config_path: Path, account: str, invert: bool, listing: bool, as_json: bool) -> None:
    """Log in to PLATFORM (a preset such as xiaohongshu, or a source's platform) by scanning a QR code.

    The platform's login page opens in a headless chromium; its QR code is printed here. Scan it with the
    platform's phone app and confirm; the session's cookies are then kept in STATE_DIR/cookies/PLATFORM.json
    (readable by this user only), and every source on the platform uses them in turn. Run it again when
    `brandmon status` says a source needs login. Exit 0 when logged in, 1 when the login failed or timed
    out, 2 when no source in the config logs in to PLATFORM.
    """
    from monitor.crawl.browser import BrowserError
    from monitor.crawl.cookies import CookiePool, pool_name
    from monitor.crawl.login import LoginTimeout, login as run_login

    config = _settings(config_path).config
    sources = [s for s in config.sources if getattr(s.options, "login", None) is not None]
    chosen = next((s for s in sources if pool_name(s) == platform), None)
    if chosen is None:
        known = sorted({pool_name(s) for s in sources})
        click.echo(f"{config_path}: no source logs in to '{platform}' (platforms with a login: "
                   f"{', '.join(known) or 'none'})", err=True)
        sys.exit(2)
    pool = CookiePool(config.state_dir, platform)
    if listing:
        _list(pool, config.zone, as_json)
        return
    echo = (lambda text: click.echo(text, err=True)) if as_json else click.echo
    try:
        kept = run_login(chosen.options.login, chosen.options.base_url or "", pool, account, echo, invert=invert)
    except (LoginTimeout, BrowserError) as exc:
        if as_json:
            _emit_json({"platform": platform, "account": account, "ok": False, "error": str(exc)})
        else:
            click.echo(f"login to {platform} failed: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    expires = kept.expires()
    if as_json:
        _emit_json({"platform": platform, "account": account, "ok": True, "cookies": len(kept.cookies),
                    "expires": expires.isoformat() if expires else None, "pool": str(pool.path)})
    else:
        until = expires.astimezone(config.zone).strftime("%Y-%m-%d %H:%M") if expires else "the platform ends it"
        click.echo(f"登录成功 logged in: {platform} account '{account}', {len(kept.cookies)} cookies kept in "
                   f"{pool.path} (valid until {until})")


def _list(pool, zone, as_json: bool) -> None:
    from datetime import datetime, timezone

    from monitor.crawl.cookies import OK

    now = datetime.now(timezone.utc)
    rows = [{"account": a.name, "status": "expired" if a.status == OK and not a.usable(now) else a.status,
             "reason": a.reason, "added": a.added, "last_used": a.last_used,
             "expires": a.expires().isoformat() if a.expires() else None} for a in pool.accounts()]
    if as_json:
        _emit_json({"platform": pool.platform, "pool": str(pool.path), "accounts": rows})
        return
    if not rows:
        click.echo(f"{pool.platform}: no account in {pool.path} (log one in: brandmon login {pool.platform})")
    for row in rows:
        local = {k: datetime.fromisoformat(row[k]).astimezone(zone).strftime("%Y-%m-%d %H:%M") if row[k] else "-"
                 for k in ("added", "last_used", "expires")}
        click.echo(f"{row['account']:<16} {row['status']:<12} added {local['added']}  last used {local['last_used']}  "
                   f"expires {local['expires']}" + (f"  ({row['reason']})" if row["reason"] else ""))


def add_to(main: click.Group) -> None:
    main.add_command(login)
