"""`brandmon run`: one long-lived process that crawls on schedule, scores off-thread, evaluates, escalates and
reports, reloads its config on SIGHUP and stops cleanly on SIGTERM."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import shutil
import socket
import threading
import time
from collections import Counter

from monitor import __version__
from monitor.alerting.acklink import AckLinks
from monitor.alerting.notify import Message, Notifier
from monitor.alerting.policy import ack_links_for
from monitor.app import Monitor, open_queue
from monitor.clock import Clock
from monitor.config import ConfigError, Settings, load_settings
from monitor.config.model import SourceConfig
from monitor.crawl.runner import CrawlRunner
from monitor.crawl.health import load_health
from monitor.faults import Faults
from monitor.process import AlreadyRunning, Signals, StateLock, running_pid  # noqa: F401  (the daemon's names)
from monitor.incident import ACKED, OPEN
from monitor.lease import Leadership
from monitor.logs import MASKER
from monitor.metrics import Metrics, MeteredNotifier
from monitor.queue import QueueBroken
from monitor.scheduler import Scheduler, jittered
from monitor.store import Store, StoreUnavailable, open_store
from monitor.store.base import FencedOff
from monitor.workers import NlpPool

log = logging.getLogger(__name__)

STATUS_PREFIX = "daemon:status:"  # one key per daemon (host and state_dir): several daemons may share a store
RELOAD_KEY = "daemon:reload"
FIRST_CRAWL_SPREAD = 30.0
DRAIN_EVERY = 5.0  # the queue is retried this often while NLP or the store could not take it
HEARTBEAT_EVERY = 5.0  # status written, queue file, indices and free disk checked
RESTART_ONLY = ("state_dir", "store", "http.bind", "daemon.leader_lease")


class Daemon:
    def __init__(self, settings: Settings, clock: Clock | None = None, lock: StateLock | None = None,
                 web=None) -> None:
        """`lock` and `web` when `brandmon run` took the state lock and started serving /healthz before
        loading this module's heavy imports (NLP models, Scrapy)."""
        self.settings = settings
        self.clock = clock or Clock()
        config = settings.config
        if lock is None:
            lock = StateLock(config.state_dir)
            lock.acquire()
        self.lock = lock
        self.metrics = Metrics()
        self.faults = Faults(on_change=self.metrics.component)
        self.policy_lock = threading.RLock()
        self.started_at = self.clock.now()
        self.stopping = False
        self.ready = False  # /healthz answers "starting" until the store, queue and NLP pool are up
        self.last_reload: dict | None = None
        self.last_evaluation: float | None = None  # wall time of the last evaluation that finished
        self._dead_seen = 0
        self._needs_login: dict[str, str] = {}  # source → why its platform wants a new login
        self._notified: set[tuple[str, str, str]] = set()
        self._afresh: set[str] = set()  # sources to crawl from scratch (their stored mentions were deleted)
        self._afresh_lock = threading.Lock()
        self._fence = None  # set while the leader's own policy work runs (under policy_lock)
        self.metrics.evaluation_age.set_function(self._evaluation_age)
        self.web = self._web(config.http.bind) if web is None else web
        self.web.daemon = self
        self.store: Store = open_store(config)
        self.store.ensure_setup()  # Elasticsearch: template and indices; refuses an unmigrated mapping
        self.queue = open_queue(config, self.clock)
        self._dead_seen = self.queue.dead_letters()
        self.leader = Leadership(self.store, self.clock, config.daemon.leader_lease)
        self.nlp = self._nlp_pool(settings)
        # one CrawlRunner (one reactor) shared by every crawl thread and every reloaded config
        self.monitor = self._monitor(settings, self.nlp,
                                     crawler=CrawlRunner(config.timezone, state_dir=config.state_dir))
        self.scheduler = Scheduler({"crawl": config.daemon.crawl_workers, "control": 2}, report=self._job_done)
        self.ready = True

    def _web(self, bind: str):
        """Serving from the first moment, so /healthz answers (503 "starting") while the rest comes up."""
        from monitor.web import WebServer

        return WebServer(self, bind).start()

    # wiring
    def _nlp_pool(self, settings: Settings) -> NlpPool:
        c = settings.config
        return NlpPool(c.brands, c.nlp, c.daemon.nlp_workers, c.daemon.nlp_timeout.total_seconds())

    def _monitor(self, settings: Settings, nlp: NlpPool, crawler) -> Monitor:
        notifier = MeteredNotifier(Notifier(settings.config), self.metrics)
        monitor = Monitor(settings, clock=self.clock, store=self.store, notifier=notifier, nlp=nlp, crawler=crawler,
                          queue=self.queue, faults=self.faults)
        monitor.incidents.dispatcher.fence = lambda: self._fence
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
        self.scheduler.every("drain", self.drain, lambda: DRAIN_EVERY, DRAIN_EVERY, "control")
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
        with self._afresh_lock:
            afresh = source.name in self._afresh
            self._afresh.discard(source.name)
        try:
            report = monitor.crawl(source, afresh=afresh)
        except QueueBroken as exc:
            self.faults.fail(f"source {source.name}", f"crawled, but nothing could keep the mentions: {exc}")
            self.metrics.source_up.labels(source.name).set(0)
            raise
        self.faults.ok(f"source {source.name}")
        health = load_health(monitor, source.name)
        if health.needs_login:
            self._needs_login[source.name] = health.needs_login
        else:
            self._needs_login.pop(source.name, None)
        last_success = health.last_success
        self.metrics.crawled(source.name, report.pages, report.items, report.errors,
                             last_success.timestamp() if last_success else None, report.skipped)
        self.metrics.source_up.labels(source.name).set(
            1 if health.state(source.interval, self.clock.now()) in ("ok", "degraded") else 0)
        self._stored(report)
        if report.items:
            self.scheduler.trigger("evaluate")

    def _stored(self, report) -> None:
        self.metrics.stored(report.by_brand_sentiment)
        if report.items:
            self.metrics.nlp_seconds.observe(report.nlp_seconds)
            self.metrics.index_seconds.observe(report.index_seconds)
        self._count_queue()

    def _count_queue(self) -> None:
        items, mentions = self.queue.depth()
        self.metrics.queue_items.set(items)
        self.metrics.queue_mentions.set(mentions)
        age = self.queue.oldest_age()
        self.metrics.queue_oldest.set(age or 0)
        dead = self.queue.dead_letters()
        if dead > self._dead_seen:
            self._dead_letter_alert(dead - self._dead_seen)
            self._dead_seen = dead

    def _dead_letter_alert(self, new: int) -> None:
        """Dead letters need a person: counted, in /healthz, and told to the fallback channel if there is one."""
        self.metrics.dead_letters.inc(new)
        channel = self.settings.config.alerting.fallback_channel
        notifier = self.monitor.incidents.notifier
        message = Message("【brandmon】数据进入死信文件",
                          f"{new} 条记录多次处理失败，已移入 {self.queue.dead_letter}，请检查日志后重新导入。",
                          severity="warning")
        for target in (notifier.targets(channel) or []) if channel else []:
            outcome = notifier.send(target, message)
            if not outcome.ok:
                log.error("could not tell %s about the dead letters: %s", target.key, outcome.error)

    def drain(self) -> None:
        """Retry what waits in the queue (after an outage, a slow NLP batch, a failed item's pause)."""
        before = self.queue.depth()[0]
        if not before:
            self._count_queue()
            return
        report = self.monitor.drain()
        self._stored(report)
        if report.items:
            log.info("queue: stored %d waiting mentions, %d still waiting", report.items, report.queued)
            self.scheduler.trigger("evaluate")

    def evaluate(self) -> None:
        """The rules run outside the policy lock, so escalation ticks and acks never wait for a long
        cycle; only turning the findings into incidents takes it."""
        if not self.leader.leading():
            return
        started = time.monotonic()
        findings = self.monitor.detect()
        with self.policy_lock, self._fenced():
            self.monitor.incidents.handle(findings)
            self.monitor.incidents.tick()
        self.metrics.evaluate_seconds.observe(time.monotonic() - started)
        self.last_evaluation = time.time()
        self._count_incidents()

    def _evaluation_age(self) -> float:
        return time.time() - self.last_evaluation if self.last_evaluation else float("nan")

    def tick(self) -> None:
        if not self.leader.leading():
            return
        with self.policy_lock, self._fenced():
            self.monitor.incidents.tick()
        self._count_incidents()

    @contextlib.contextmanager
    def _fenced(self):
        """The leader's own work (not a person's ack or resolve) writes with the token it started under; when
        another daemon took the lease meanwhile, those writes are refused and this daemon stops leading."""
        self._fence = self.leader.fence()
        try:
            yield
        except FencedOff as exc:
            self.leader.fenced_off(str(exc))
        finally:
            self._fence = None

    def _job_done(self, name: str, exc: BaseException | None) -> None:
        """The scheduler's report: faults are logged once per change of state, not once per run."""
        if exc is None:
            self.faults.ok(f"job {name}")
        elif isinstance(exc, StoreUnavailable):
            self.faults.fail("store", str(exc))
        elif isinstance(exc, QueueBroken):
            self.faults.fail("queue", str(exc))
        else:
            self.faults.fail(f"job {name}", f"{type(exc).__name__}: {exc}", exc)

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
        for incident in active:
            self._observe_latency(incident)

    def _observe_latency(self, incident) -> None:
        """Published → notified: from the earliest example mention of the incident to each delivery sent."""
        published = [e.get("published_at") for e in incident.examples if e.get("published_at")]
        start = min(published) if published else (incident.window_start.isoformat() if incident.window_start else None)
        if start is None:
            return
        from datetime import datetime

        first = datetime.fromisoformat(start)
        for d in self.store.deliveries(incident.id):
            key = (d.incident_id, d.step, d.channel)
            if d.status == "sent" and key not in self._notified:
                self._notified.add(key)
                self.metrics.alert_latency.observe(max(0.0, (d.at - first).total_seconds()))

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
        if not self.ready:
            return ["starting"]
        reasons = []
        if self.stopping:
            reasons.append("shutting down")
        up = self._ping()
        self.metrics.store_up.set(1 if up else 0)
        if not up and not self.faults.down("store"):
            reasons.append("store: unreachable")
        reasons += self.faults.reasons()
        alive, why = self.scheduler.alive()
        if not alive:
            reasons.append(why)
        return reasons

    def warnings(self) -> list[str]:
        """Worth a look, but the daemon works: mentions in the dead-letter file, sources needing a login."""
        if not self.ready:
            return []
        found = [f"source {name} needs login: {why}" for name, why in sorted(self._needs_login.items())]
        if self._dead_seen:
            found.append(f"{self._dead_seen} items in the dead-letter file {self.queue.dead_letter}")
        return found

    def _ping(self) -> bool:
        try:
            return bool(self.store.ping())
        except Exception as exc:
            self.faults.fail("store", f"{type(exc).__name__}: {exc}")
            return False

    def status(self) -> dict:
        now = self.clock.now()
        items, mentions = self.queue.depth()
        return {"pid": os.getpid(), "version": __version__, "started_at": self.started_at.isoformat(),
                "heartbeat_at": now.isoformat(), "http": self.web.url if self.web else None,
                "reload": self.last_reload, "queue": {"items": items, "mentions": mentions,
                                                      "dead_letters": self._dead_seen},
                "health": self.faults.reasons(),
                "leader": self.leader.leading(), "lease_token": self.leader.token, "holder": self.leader.holder,
                "host": socket.gethostname(), "state_dir": str(self.settings.config.state_dir.resolve()),
                "config": str(self.settings.path)}

    def _heartbeat(self) -> None:
        """Check what can break under a running daemon (queue file deleted, indices deleted, disk full), and
        record the daemon's status for `brandmon status`."""
        restored = self.queue.check()
        if restored is not None:
            self.metrics.queue_restored.inc()
            self.faults.fail("queue", f"{restored.reason}; {restored.items} waiting items were written back")
        self._check_disk()
        verify = getattr(self.store, "verify", None)
        if verify is not None:
            try:
                if verify() == "ok":
                    self.faults.ok("indices")
                else:  # shown until the next heartbeat finds them whole
                    self.faults.fail("indices", "Elasticsearch indices or template were missing and have been "
                                                "recreated; every source is crawled afresh to refill them")
                    self._crawl_afresh()
            except Exception as exc:
                self.faults.fail("indices", f"{type(exc).__name__}: {exc}")
        self.metrics.store_up.set(1 if self._ping() and not self.faults.down("store") else 0)
        self._count_queue()
        try:
            self.store.put_state(status_key(self.settings.config), self.status())
        except StoreUnavailable as exc:  # /healthz says so
            self.faults.fail("store", str(exc))

    def _crawl_afresh(self) -> None:
        """The mentions went with the deleted indices: the next crawl of every source (one that starts from
        now on, not one already in flight) ignores where the last got to and fetches what the sites show."""
        with self._afresh_lock:
            self._afresh.update(s.name for s in self.settings.config.sources)
        for source in self.settings.config.sources:
            self.scheduler.trigger(f"crawl:{source.name}")

    def _check_disk(self) -> None:
        folder = self.settings.config.state_dir
        need = self.settings.config.daemon.min_free_disk_mb
        try:
            free = shutil.disk_usage(folder).free / 1e6
        except OSError as exc:
            self.faults.fail("disk", f"cannot read the free space of {folder}: {exc}")
            return
        self.metrics.disk_free.set(free * 1e6)
        if free < need:
            self.faults.fail("disk", f"{free:.0f} MB free under {folder}, below daemon.min_free_disk_mb {need}")
        else:
            self.faults.ok("disk")

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
        log.info("brandmon %s running: %d sources, %d rules, http %s, state %s", __version__,
                 len(self.settings.config.sources), len(self.settings.rules), self.web.url,
                 self.settings.config.state_dir)
        self._schedule(self.settings)
        self.scheduler.trigger("drain")
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
        self.nlp.close(timeout=max(1.0, deadline - time.monotonic()))
        try:
            self.store.put_state(status_key(self.settings.config), self.status())
        except StoreUnavailable as exc:
            log.warning("could not record the daemon's stop: %s", exc)
        if not abandoned:
            self.monitor.close()
        self.lock.release()
        log.info("stopped")
        return 0


def status_key(config) -> str:
    """Where a daemon records its status: one key per host and state directory (one daemon each)."""
    return f"{STATUS_PREFIX}{socket.gethostname()}:{config.state_dir.resolve()}"


def _restart_only_changes(old: Settings, new: Settings) -> list[str]:
    def value(config, key: str):
        for part in key.split("."):
            config = getattr(config, part)
        return config

    return [f"{new.path}: {key}: changed; restart the daemon to apply it (the running config is unchanged)"
            for key in RESTART_ONLY if value(old.config, key) != value(new.config, key)]

