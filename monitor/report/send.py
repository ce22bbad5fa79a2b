"""Build a report and hand it out: to a file, to apprise channels (HTML with inline charts where the channel
takes HTML; elsewhere a short digest within the channel's limit that links to the HTML report), and on
schedule from the daemon."""

from __future__ import annotations

import base64
import logging
import re
import tempfile
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import apprise

from monitor.alerting.policy import ack_links_for
from monitor.alerting.notify import Message, Notifier
from monitor.clock import Clock
from monitor.config import Settings
from monitor.config.model import ReportSchedule
from monitor.report import charts
from monitor.report.data import BrandFigures, Progress, chosen_brands, gather
from monitor.report.digest import chat_digest
from monitor.report.period import period_until, scheduled_until
from monitor.report.render import Report, chart_prefix
from monitor.store.base import Store

log = logging.getLogger(__name__)

SHARE_COLOUR = "#337ab7"


def build_report(settings: Settings, store: Store, period_name: str, until: datetime, brand: str | None = None,
                 progress: Progress = lambda line: None) -> Report:
    zone = settings.config.zone
    period = period_until(period_name, until, zone)
    brands = chosen_brands(settings, brand)
    chosen = [b.name for b in brands]
    names = chosen + [c for b in brands for c in b.competitors]  # as the share-of-voice charts name them
    labels = charts.labeller_for(names, charts.cjk_font())
    painter = charts.Charts(labels)
    pngs: dict[str, bytes] = {}

    def draw(b: BrandFigures) -> None:  # while the next brands are read
        progress(f"charts for {b.name}")
        slug = chart_prefix(chosen, b.name)
        pngs[f"{slug}-volume.png"] = painter.volume(b, period.hourly, zone)
        if len(b.share_of_voice) > 1:
            pngs[f"{slug}-share.png"] = painter.bars("share", b.name, b.share_of_voice, SHARE_COLOUR)

    data = gather(settings, store, period, brand, progress, draw)
    return Report(data, zone, pngs, labels.legend(), datetime.now(until.tzinfo))


def write_report(report: Report, out: Path) -> list[Path]:
    """`.md` writes Markdown with the charts as PNG files beside it; anything else one self-contained HTML file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() != ".md":
        out.write_text(report.html(lambda name: "data:image/png;base64," + base64.b64encode(
            report.charts[name]).decode("ascii")), encoding="utf-8")
        return [out]
    written = [out]
    for name, png in report.charts.items():
        path = out.with_name(f"{out.stem}-{name}")
        path.write_bytes(png)
        written.append(path)
    out.write_text(report.markdown(lambda name: f"{out.stem}-{name}"), encoding="utf-8")
    return written


def report_link(settings: Settings, html: Path, clock: Clock) -> str:
    """Where chat readers find the full report: a signed, expiring link to the daemon's copy when it serves
    signed links (http.public_url and ack_secret), else the file."""
    links = ack_links_for(settings.config, clock)
    if links is None or html.parent != settings.config.state_dir / "reports":
        return str(html.resolve())
    return links.link(f"reports/{quote(html.name)}", report_subject(html.name))


def report_subject(name: str) -> str:
    """What a report link's signature covers: that one file."""
    return f"report:{name}"


REPORT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.html")
_CHART_SRC = re.compile(r"src='([A-Za-z0-9][A-Za-z0-9._-]*\.png)'")


def served_report(html: Path) -> bytes:
    """A saved HTML report as one page for the phone: its chart files (beside it) inlined as data URIs."""
    def inline(match: re.Match) -> str:
        chart = html.with_name(match.group(1))
        if not chart.is_file():
            return match.group(0)
        return f"src='data:image/png;base64,{base64.b64encode(chart.read_bytes()).decode('ascii')}'"
    return _CHART_SRC.sub(inline, html.read_text(encoding="utf-8")).encode("utf-8")


def send_to_channel(settings: Settings, channel: str, report: Report, html: Path | None = None,
                    clock: Clock = Clock()) -> bool:
    """Every URL of the channel gets the report; True only when all of them took it. Chat URLs get a digest
    linking to `html` (written under state_dir/reports when not given)."""
    ok = True
    notifier = Notifier(settings.config)
    with tempfile.TemporaryDirectory(prefix="brandmon-report-") as folder:
        attachments = []
        for name, png in report.charts.items():
            (Path(folder) / name).write_bytes(png)
            attachments.append(str(Path(folder) / name))
        for target in notifier.targets(channel) or ():
            shape = notifier.shape(target)
            if shape.html:
                ok = _send_mail(target.url, report, attachments) and ok
                continue
            if html is None:
                html = settings.config.state_dir / "reports" / f"report-{report.generated_at:%Y%m%d-%H%M%S}.html"
                write_report(report, html)
            title, body = chat_digest(report, report_link(settings, html, clock), shape)
            ok = notifier.send(target, Message(title, body)).ok and ok
    return ok


def _send_mail(url: str, report: Report, attachments: list[str]) -> bool:
    """Mail gets the whole report as HTML with the charts inline."""
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if "inline" in getattr(plugin, "template_args", {}) and "inline=" not in url:
        url += ("&" if "?" in url else "?") + "inline=yes"  # charts shown in the mail, not as attachments
    sender = apprise.Apprise()
    sender.add(url)
    return bool(sender.notify(title=report.title, body=report.html(lambda name: f"cid:{name}"),
                              body_format=apprise.NotifyFormat.HTML, attach=apprise.AppriseAttachment(attachments)))


def send_report(settings: Settings, store: Store, schedule: ReportSchedule, now: datetime) -> None:
    """The daemon's scheduled job: build, keep a copy under state_dir/reports, send to every channel."""
    until = scheduled_until(schedule, now, settings.config.zone)
    report = build_report(settings, store, schedule.period, until, schedule.brand)
    stem = f"{schedule.period}-{until.astimezone(settings.config.zone):%Y%m%d-%H%M}-{schedule.brand or 'all'}"
    folder = settings.config.state_dir / "reports"
    write_report(report, folder / f"{stem}.html")
    write_report(report, folder / f"{stem}.md")
    failed = [c for c in schedule.send if not send_to_channel(settings, c, report, folder / f"{stem}.html")]
    if failed:
        raise RuntimeError(f"report {stem} could not be sent to {', '.join(failed)}")
    log.info("report %s sent to %s", stem, ", ".join(schedule.send))
