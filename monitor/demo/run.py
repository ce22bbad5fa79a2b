"""`brandmon demo`: the whole path on one machine, against a local site and a local mailbox."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from string import Template

from monitor.app import Monitor
from monitor.config import load_settings
from monitor.demo.mailbox import Mailbox
from monitor.demo.site import DemoSite
from monitor.incident import OPEN
from monitor.store.base import Query

HERE = Path(__file__).parent
ESCALATION_WAIT = 30.0


def write_config(folder: Path, site: DemoSite, mailbox: Mailbox, es_url: str | None) -> Path:
    text = Template((HERE / "config.yaml").read_text(encoding="utf-8")).substitute(
        state_dir=str(folder / "state"), site=site.url, rules_dir=str(HERE / "rules"),
        oncall_mail=mailbox.url("oncall@example.com"), manager_mail=mailbox.url("manager@example.com"))
    if es_url:
        text += f"store:\n  backend: elasticsearch\n  elasticsearch:\n    url: {es_url}\n    index_prefix: brandmon-demo\n"
    path = folder / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run_demo(folder: Path, es_url: str | None = None, say: Callable[[str], None] = print) -> dict:
    started = time.monotonic()
    folder = folder.resolve()
    for stale in ("state", "mail"):
        shutil.rmtree(folder / stale, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    site = DemoSite().start()
    mailbox = Mailbox(folder / "mail").start()
    monitor = None
    try:
        settings = load_settings(write_config(folder, site, mailbox, es_url))
        monitor = Monitor(settings)
        if es_url:  # the node outlives the demo folder: keep the mentions, drop the last run's incidents
            monitor.store.clear_history()
        say(f"demo site {site.url} · mailbox 127.0.0.1:{mailbox.port} · folder {folder}")

        def crawl_round(label: str) -> None:
            for source in settings.config.sources:
                report = monitor.crawl(source)
                say(f"[{label}] crawled {source.name}: {report.pages} pages, {report.items} mentions "
                    f"({report.new} new), {report.errors} errors")
            touched, tick = monitor.evaluate()
            say(f"[{label}] rules evaluated: {len(touched)} incident(s) firing, {tick.notified} notification(s) sent")

        crawl_round("calm")
        site.burst = True
        say("the site now carries a burst of negative posts about 星河手机")
        crawl_round("burst")
        critical = next((i for i in monitor.store.incidents(states=(OPEN,)) if i.severity == "critical"), None)
        if critical is not None:
            deadline = time.monotonic() + ESCALATION_WAIT
            while time.monotonic() < deadline and not _escalated(monitor, critical.id):
                time.sleep(0.5)
                monitor.evaluate()
            monitor.incidents.ack(critical.id, "demo（值班 PR）")
            say(f"acknowledged {critical.id}: escalation stops")
            monitor.evaluate()
        return _summary(monitor, mailbox, folder, time.monotonic() - started)
    finally:
        if monitor is not None:
            monitor.close()
        mailbox.stop()
        site.stop()


def _escalated(monitor: Monitor, incident_id: str) -> bool:
    return any(d.step != "0.0" and d.status == "sent" for d in monitor.store.deliveries(incident_id))


def _summary(monitor: Monitor, mailbox: Mailbox, folder: Path, seconds: float) -> dict:
    store = monitor.store
    incidents = []
    for incident in sorted(store.incidents(), key=lambda i: i.opened_at):
        sent = [d for d in store.deliveries(incident.id) if d.status == "sent"]
        incidents.append({
            "id": incident.id, "rule": incident.rule, "brand": incident.brand, "severity": incident.severity,
            "state": incident.state, "title": incident.title, "muted": incident.muted,
            "notified": sorted({d.channel for d in sent}),
            "escalated": any(d.step != "0.0" for d in sent),
        })
    from monitor.reply.queue import ReplyDesk

    queue = ReplyDesk(monitor.settings.config, store, monitor.clock).items()
    return {
        "queue": len(queue),
        "queue_ids": [i.mention.id for i in queue],
        "mentions": store.count(Query()),
        "negative": store.count(Query(sentiments=("negative",))),
        "incidents": incidents,
        "emails": len(mailbox.messages),
        "mail_folder": str(mailbox.folder),
        "config": str(folder / "config.yaml"),
        "seconds": round(seconds, 1),
    }
