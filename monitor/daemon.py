"""`brandmon run`: one long-lived process that crawls on schedule, scores off-thread, evaluates, escalates and
reports, reloads its config on SIGHUP and stops cleanly on SIGTERM."""

from __future__ import annotations

import fcntl
import logging
import os
import random
import threading
import time
from collections import Counter
from pathlib import Path

from monitor import __version__
from monitor.alerting.acklink import AckLinks
from monitor.alerting.notify import Notifier
from monitor.alerting.policy import ack_links_for
from monitor.app import Monitor
from monitor.clock import Clock
from monitor.config import ConfigError, Settings, load_settings
from monitor.config.model import SourceConfig
from monitor.crawl.runner import CrawlRunner
from monitor.crawl.health import load_health
from monitor.incident import ACKED, OPEN
from monitor.lease import Leadership
from monitor.logs import MASKER
from monitor.metrics import Metrics, MeteredNotifier
from monitor.scheduler import Scheduler, jittered
from monitor.store import Store, open_store
from monitor.workers import NlpPool

log = logging.getLogger(__name__)

LOCK_FILE = "brandmon.pid"
STATUS_KEY = "daemon:status"
RELOAD_KEY = "daemon:reload"
FIRST_CRAWL_SPREAD = 30.0
INBOX_EVERY = 60.0
HEARTBEAT_EVERY = 5.0
RESTART_ONLY = ("state_dir", "store", "http.bind", "daemon.leader_lease")


class AlreadyRunning(Exception):
    """Another daemon holds the state directory's lock."""


class StateLock:
    """An flock'd pid file in state_dir: two daemons on one state would send every alert twice."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise AlreadyRunning(
                f"another brandmon daemon (pid {pid}) is already running on {self.path.parent}; "
                f"stop it first (systemctl stop brandmon, or kill {pid}) or give this one another state_dir") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None


def running_pid(state_dir: Path) -> int | None:
    """The pid of the daemon holding state_dir's lock, or None when no daemon runs there."""
    path = state_dir / LOCK_FILE
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
        return int(text) if text.isdigit() else None
    finally:
        os.close(fd)
    return None


class Daemon:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        config = settings.config
        self.lock = StateLock(config.state_dir)
        self.lock.acquire()
        self.metrics = Metrics()
        self.policy_lock = threading.RLock()
        self.started_at = self.clock.now()
        self.stopping = False
        self.last_reload: dict | None = None
        self.store: Store = open_store(config)
        self.store.ensure_setup()  # Elasticsearch: template and indices; refuses an unmigrated mapping
        self.leader = Leadership(self.store, self.clock, config.daemon.leader_lease)
        self.nlp = self._nlp_pool(settings)
        # one CrawlRunner (one reactor) shared by every crawl thread and every reloaded config
        self.monitor = self._monitor(settings, self.nlp, crawler=CrawlRunner(config.timezone))
        self.scheduler = Scheduler({"crawl": config.daemon.crawl_workers, "control": 2})
        self.web = None

    # wiring
    def _nlp_pool(self, settings: Settings) -> NlpPool:
        c = settings.config
        return NlpPool(c.brands, c.nlp, c.daemon.nlp_workers, c.daemon.nlp_timeout.total_seconds())

    def _monitor(self, settings: Settings, nlp: NlpPool, crawler) -> Monitor:
        notifier = MeteredNotifier(Notifier(settings.config), self.metrics)
        monitor = Monitor(settings, clock=self.clock, store=self.store, notifier=notifier, nlp=nlp, crawler=crawler)
        self.metrics.rules.set(sum(1 for r in settings.rules if r.enabled))
        MASKER.learn(settings.config)
        return monitor

    @property
    def ack_links(self) -> AckLinks | None:
        """The links the running config signs (None when http.public_url or ack_secret is missing)."""
        return ack_links_for(self.settings.config, self.clock)

    def _schedule(self, settings: Settings) -> None:
        """Make the job list match the config: one crawl job per source, plus the timers."""
        config = settings.config
        jitter = config.daemon.jitter
        wanted = {f"crawl:{s.name}" for s in config.sources} | {f"report:{r.key}" for r in config.reports}
        for name in self.scheduler.names():
            if name.startswith(("crawl:", "report:")) and name not in wanted:
                self.scheduler.remove(name)
        for source in config.sources:
            seconds = source.interval.total_seconds()
            self.scheduler.every(f"crawl:{source.name}", lambda s=source: self.crawl(s),
                                 lambda s=seconds: jittered(s, jitter),
                                 random.uniform(0, min(seconds, FIRST_CRAWL_SPREAD) * jitter), "crawl")
        every = config.evaluate_every.total_seconds()
        self.scheduler.every("evaluate", self.evaluate, lambda: every, every, "control")
        tick = config.daemon.tick_every.total_seconds()
        self.scheduler.every("tick", self.tick, lambda: tick, tick, "control")
        self.scheduler.every("inbox", self.replay_inbox, lambda: INBOX_EVERY, INBOX_EVERY, "control")
        retention = config.store.retention
        if retention.mentions or retention.rollups:
            prune_every = retention.every.total_seconds()
            self.scheduler.every("retention", self.prune, lambda: prune_every, min(prune_every, 60.0), "control")
        for schedule in config.reports:
            self._schedule_report(schedule)

    def _schedule_report(self, schedule) -> None:
        from monitor.report.period import seconds_until

        def delay() -> float:
            return seconds_until(schedule, self.clock.now(), self.settings.config.zone)

        self.scheduler.every(f"report:{schedule.key}", lambda: self.send_report(schedule), delay, delay(), "control")

    # jobs
    def crawl(self, source: SourceConfig) -> None:
        monitor = self.monitor
        report = monitor.crawl(source)
        last_success = load_health(monitor.store, source.name).last_success
        self.metrics.crawled(source.name, report.pages, report.items, report.errors,
                             last_success.timestamp() if last_success else None, report.skipped)
        self._stored(report)
        if report.items:
            self.scheduler.trigger("evaluate")

    def _stored(self, report) -> None:
        self.metrics.stored(report.by_brand_sentiment)
        if report.items:
            self.metrics.nlp_seconds.observe(report.nlp_seconds)
            self.metrics.index_seconds.observe(report.index_seconds)
        if report.spooled:
            self.metrics.spooled.inc(report.spooled)

    def evaluate(self) -> None:
        """The rules run outside the policy lock, so escalation ticks and acks never wait for a long
        cycle; only turning the findings into incidents takes it."""
        if not self.leader.leading():
            return
        started = time.monotonic()
        findings = self.monitor.detect()
        with self.policy_lock:
            self.monitor.incidents.handle(findings)
            self.monitor.incidents.tick()
        self.metrics.evaluate_seconds.observe(time.monotonic() - started)
        self._count_incidents()

    def tick(self) -> None:
        if not self.leader.leading():
            return
        with self.policy_lock:
            self.monitor.incidents.tick()
        self._count_incidents()

    def ack(self, incident_id: str, by: str):
        with self.policy_lock:
            incident = self.monitor.incidents.ack(incident_id, by)
        self._count_incidents()
        return incident

    def incident_action(self, action: str, incident_id: str, *args):
        """assign / resolve / note from the incident page, under the same lock as the policy's own changes."""
        with self.policy_lock:
            incident = getattr(self.monitor.incidents, action)(incident_id, *args)
        self._count_incidents()
        return incident

    def _count_incidents(self) -> None:
        active = self.store.incidents(states=(OPEN, ACKED), limit=10000)
        self.metrics.open_incidents(Counter((i.state, i.severity) for i in active))

    def replay_inbox(self) -> None:
        if not self.monitor.inbox.batches():
            return
        report = self.monitor.replay_inbox()
        log.info("replayed the inbox: %d mentions stored, %d set aside again", report.items, report.spooled)
        self._stored(report)
        if report.items:
            self.scheduler.trigger("evaluate")

    def prune(self) -> None:
        if not self.leader.leading():
            return
        gone = self.store.prune(self.clock.now())
        if any(gone.values()):
            log.info("retention: deleted %s", ", ".join(f"{n} {kind}" for kind, n in gone.items()))

    def send_report(self, schedule) -> None:
        from monitor.report.send import send_report

        if not self.leader.leading():
            return
        try:
            send_report(self.settings, self.store, schedule, self.clock.now())
        except Exception:  # a broken chart or mail server must not stop the daemon
            self.metrics.reports.labels("failed").inc()
            raise
        self.metrics.reports.labels("sent").inc()

    # health
    def health(self) -> list[str]:
        """Reasons the daemon is unhealthy; empty when all is well."""
        reasons = []
        if self.stopping:
            reasons.append("shutting down")
        try:
            if not self.store.ping():
                reasons.append("store unreachable")
        except Exception as exc:
            reasons.append(f"store unreachable: {exc}")
        alive, why = self.scheduler.alive()
        if not alive:
            reasons.append(why)
        return reasons

    def status(self) -> dict:
        now = self.clock.now()
        return {"pid": os.getpid(), "version": __version__, "started_at": self.started_at.isoformat(),
                "heartbeat_at": now.isoformat(), "http": self.web.url if self.web else None,
                "reload": self.last_reload, "inbox": self.monitor.inbox.pending(),
                "leader": self.leader.leading(), "lease_token": self.leader.token, "holder": self.leader.holder,
                "config": str(self.settings.path)}

    def _heartbeat(self) -> None:
        try:
            self.store.put_state(STATUS_KEY, self.status())
        except Exception as exc:  # the store may be down; /healthz says so
            log.warning("could not write the daemon status: %s", exc)

    # reload
    def reload(self) -> bool:
        """Re-read config, rules and playbooks; swap them in whole, or keep the old ones and say why."""
        try:
            new = load_settings(self.settings.path)
            problems = _restart_only_changes(self.settings, new)
        except ConfigError as exc:
            problems = [str(p) for p in exc.problems]
        if problems:
            for problem in problems:
                log.error("reload refused: %s", problem)
            self.metrics.reloads.labels("refused").inc()
            self._record_reload(False, problems)
            return False
        old_nlp = self.nlp
        if old_nlp.config != (new.config.brands, new.config.nlp):
            self.nlp = self._nlp_pool(new)
            threading.Timer(new.config.daemon.nlp_timeout.total_seconds(), old_nlp.close).start()
        monitor = self._monitor(new, self.nlp, crawler=self.monitor.crawler)
        with self.policy_lock:
            self.settings, self.monitor = new, monitor
        self._schedule(new)
        self.scheduler.trigger("evaluate")
        self.metrics.reloads.labels("applied").inc()
        log.info("config reloaded: %d rules, %d sources, %d channels", len(new.rules), len(new.config.sources),
                 len(new.config.channels))
        self._record_reload(True, [])
        return True

    def _record_reload(self, ok: bool, problems: list[str]) -> None:
        self.last_reload = {"at": self.clock.now().isoformat(), "ok": ok, "problems": problems}
        try:
            self.store.put_state(RELOAD_KEY, self.last_reload)
        except Exception as exc:
            log.warning("could not record the reload result: %s", exc)

    # life cycle
    def run(self, signals: "Signals") -> int:
        from monitor.web import WebServer

        self.web = WebServer(self, self.settings.config.http.bind).start()
        log.info("brandmon %s running: %d sources, %d rules, http %s, state %s", __version__,
                 len(self.settings.config.sources), len(self.settings.rules), self.web.url,
                 self.settings.config.state_dir)
        self._schedule(self.settings)
        self.scheduler.trigger("inbox")
        self.leader.renew()
        self.scheduler.start()
        renewed = time.monotonic()
        beat = 0.0
        while not signals.stop:
            if signals.take_reload():
                self.reload()
            if time.monotonic() - renewed >= self.leader.ttl.total_seconds() / 4:
                was = self.leader.token
                if self.leader.renew() and was is None:
                    self.scheduler.trigger("evaluate")  # a new leader catches up at once
                renewed = time.monotonic()
            if time.monotonic() - beat >= HEARTBEAT_EVERY:
                self._heartbeat()
                beat = time.monotonic()
            time.sleep(0.2)
        return self.shutdown()

    def shutdown(self) -> int:
        """Take no new work, give what is in flight the grace period, set aside what is left, exit 0."""
        self.stopping = True
        grace = self.settings.config.daemon.shutdown_grace.total_seconds()
        deadline = time.monotonic() + grace
        self.scheduler.stop()
        self.nlp.finish_by(deadline - min(2.0, grace / 4))
        log.info("stopping: waiting up to %.0f s for the work in flight", grace)
        abandoned = self.scheduler.wait_idle(deadline)
        if abandoned:
            log.warning("stopped without finishing %s; unsaved pages are crawled again at the next start",
                        ", ".join(abandoned))
        if self.web is not None:
            self.web.stop()
        self.nlp.close()
        self._heartbeat()
        if not abandoned:
            self.monitor.close()
        self.lock.release()
        log.info("stopped")
        return 0


class Signals:
    """What the signal handlers ask for; the main loop acts on it, since handlers must stay tiny."""

    def __init__(self) -> None:
        self.stop = False
        self._reload = False

    def install(self) -> None:
        import signal

        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_reload)

    def _on_stop(self, signum, frame) -> None:
        self.stop = True

    def _on_reload(self, signum, frame) -> None:
        self._reload = True

    def take_reload(self) -> bool:
        wanted, self._reload = self._reload, False
        return wanted


def _restart_only_changes(old: Settings, new: Settings) -> list[str]:
    def value(config, key: str):
        for part in key.split("."):
            config = getattr(config, part)
        return config

    return [f"{new.path}: {key}: changed; restart the daemon to apply it (the running config is unchanged)"
            for key in RESTART_ONLY if value(old.config, key) != value(new.config, key)]

