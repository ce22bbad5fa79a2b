"""Delivery under faults: real SMTP and HTTP receivers on loopback that fail while an incident escalates.

Each scenario opens one critical incident whose playbook has three steps and counts what reached each
person (a "lane": one URL, or the fallback standing in for a URL that was given up on). A notice counts
as delivered when a message names its step — a catch-up message after downtime names every step it
merges. `lost` = expected (lane, step) never named, `duplicated` = named more than once, `out_of_order`
= messages on a lane whose step is lower than one the lane already had. A notice whose send a kill -9
cut off mid-flight (the receiver had it, the log still said pending) is sent again after
`pending_timeout`: those are counted apart as `duplicated_in_flight`, the documented exception.

Every scenario takes a scratch folder and, for the tests' short versions, an optional FakeClock: with
one, time is advanced instead of slept and the outage is measured on that clock.

    python bench/faults.py --only smtp_down_2min,webhook_500_2min,one_url_of_two_down,\
        kill9_escalation,reload_removes_channel
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from monitor.alerting.notify import Notifier  # noqa: E402
from monitor.alerting.policy import IncidentManager  # noqa: E402
from monitor.clock import Clock, FakeClock  # noqa: E402
from monitor.config.loader import Settings  # noqa: E402
from monitor.config.model import Config  # noqa: E402
from monitor.config.rules import Playbook  # noqa: E402
from monitor.demo.mailbox import Mailbox, free_port  # noqa: E402
from monitor.detect.finding import Finding  # noqa: E402
from monitor.store.sqlite import SqliteStore  # noqa: E402

STEP = re.compile(r"首次通知|第 (\d+) 级升级")
TICK = 5.0  # seconds between ticks (the daemon's default is 15 s; shorter keeps the bench short)


# receivers
class Webhook:
    """apprise json:// receiver: `down` paths answer 500; `hold` seconds before answering (a slow peer)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict]] = []
        self.down: set[str] = set()
        self.hold = 0.0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                if self.path in hook.down:
                    self.send_response(500)
                else:
                    hook.received.append((self.path, body))
                    time.sleep(hook.hold)
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self._server.server_address[1]}/{path}"

    def notices(self, lanes: dict[str, str]) -> list[tuple[str, str, list[int]]]:
        out = []
        for path, body in list(self.received):
            lane = path.lstrip("/")
            if parsed := _parse(lanes.get(lane, lane), body["message"]):
                out.append(parsed)
        return out

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _parse(lane: str, text: str) -> tuple[str, str, list[int]] | None:
    """(lane, incident id, steps named) from a message's 级别 and 编号 lines."""
    level = next((line for line in text.splitlines() if line.startswith("级别：")), None)
    incident = next((line.removeprefix("编号：") for line in text.splitlines() if line.startswith("编号：")), None)
    if level is None or incident is None:
        return None
    return lane, incident, [int(m.group(1) or 0) for m in STEP.finditer(level)]


def count(notices: list[tuple[str, str, list[int]]], expected: set[tuple[str, int]],
          in_flight: set[tuple[str, int]] = frozenset()) -> dict:
    named = Counter((lane, step) for lane, _, steps in notices for step in steps)
    order = 0
    highest: dict[str, int] = {}
    for lane, _, steps in notices:
        if max(steps) < highest.get(lane, -1):
            order += 1
        highest[lane] = max(highest.get(lane, -1), max(steps))
    extra = {k: n - 1 for k, n in named.items() if n > 1}
    return {"lost": len(expected - set(named)), "duplicated": sum(n for k, n in extra.items() if k not in in_flight),
            "duplicated_in_flight": sum(n for k, n in extra.items() if k in in_flight), "out_of_order": order,
            "notices": len(notices), "health_seconds": None}


# the system under test
def settings(channels: dict, steps: list[tuple[float, list[str]]], **alerting) -> Settings:
    config = Config.model_validate({"brands": [{"name": "星河手机"}], "channels": channels, "alerting": alerting})
    playbook = Playbook.model_validate({"name": "critical", "resolve_after": "6h", "steps": [
        {"after": f"{int(after)}s", "notify": notify} for after, notify in steps]})
    return Settings(path=None, config=config, rules=(), playbooks={"critical": playbook})


def finding(at: datetime) -> Finding:
    return Finding(rule="negative_spike", rule_type="spike", brand="星河手机", severity="critical", playbook="critical",
                   at=at, title="星河手机 负面激增：10 分钟 25 条", figures={"count": 25, "baseline": 1.0},
                   keywords=["黑屏"], window_start=at - timedelta(minutes=10), window_end=at)


class Run:
    """A manager on a real or fake clock, ticking every TICK seconds."""

    def __init__(self, folder: Path, chosen: Settings, clock: FakeClock | None) -> None:
        self.clock: Clock = clock or Clock()
        self.fake = clock
        self.store = SqliteStore(folder / "brandmon.db")
        self.manager = self._manager(chosen)
        self.started = self.clock.now()

    def _manager(self, chosen: Settings) -> IncidentManager:
        sleep = (lambda s: self.fake.advance(s)) if self.fake else time.sleep
        return IncidentManager(chosen, self.store, Notifier(chosen.config, sleep=sleep), self.clock)

    def reload(self, chosen: Settings) -> None:
        """What the daemon does on SIGHUP: a new manager over the same store."""
        self.manager = self._manager(chosen)

    @property
    def elapsed(self) -> float:
        return (self.clock.now() - self.started).total_seconds()

    def until(self, seconds: float, done=lambda: False, each=lambda elapsed: None) -> None:
        while self.elapsed < seconds and not done():
            each(self.elapsed)
            self.manager.tick()
            if self.fake:
                self.fake.advance(TICK)
            else:
                time.sleep(TICK)

    def close(self) -> None:
        self.store.close()


THREE_STEPS = [(0, ["oncall"]), (45, ["oncall"]), (90, ["oncall"])]


# scenarios
def smtp_down(folder: Path, clock: FakeClock | None = None, outage: float = 120) -> dict:
    """Mail is the only channel and the SMTP server is down for `outage` seconds from the incident's start."""
    port = free_port()
    url = f"mailto://127.0.0.1:{port}?from=brandmon@localhost&to=oncall@example.com&name=brandmon"
    run = Run(folder, settings({"oncall": url}, THREE_STEPS), clock)
    boxes: list[Mailbox] = []

    def each(elapsed: float) -> None:
        if elapsed >= outage and not boxes:
            boxes.append(Mailbox(folder / "mail", port).start())

    def notices() -> list:
        mails = [message_from_bytes(p.read_bytes(), policy=email_policy.default)
                 for p in sorted((folder / "mail").glob("*.eml"))] if boxes else []
        return [n for m in mails if (n := _parse("oncall", m.get_body(("plain",)).get_content()))]

    try:
        run.manager.handle([finding(run.clock.now())])
        expected = {("oncall", i) for i in range(3)}
        run.until(outage + 240, done=lambda: {(lane, s) for lane, _, steps in notices() for s in steps} >= expected,
                  each=each)
        return {**count(notices(), expected), "outage_seconds": outage, "seconds_to_all_delivered":
                round(run.elapsed - outage, 1)}
    finally:
        for box in boxes:
            box.stop()
        run.close()


def webhook_500(folder: Path, clock: FakeClock | None = None, outage: float = 120) -> dict:
    """A chat webhook answers 500 for `outage` seconds."""
    hook = Webhook()
    hook.down = {"/oncall"}
    run = Run(folder, settings({"oncall": hook.url("oncall")}, THREE_STEPS), clock)
    try:
        run.manager.handle([finding(run.clock.now())])
        expected = {("oncall", i) for i in range(3)}
        run.until(outage + 240, done=lambda: {(ln, s) for ln, _, st in hook.notices({}) for s in st} >= expected,
                  each=lambda elapsed: hook.down.clear() if elapsed >= outage else None)
        return {**count(hook.notices({}), expected), "outage_seconds": outage,
                "seconds_to_all_delivered": round(run.elapsed - outage, 1)}
    finally:
        run.close()
        hook.close()


def one_url_down(folder: Path, clock: FakeClock | None = None, give_up: float = 30) -> dict:
    """One of a channel's two URLs is down throughout: the healthy one gets each step once, the broken one's
    steps go to the fallback after `give_up` seconds."""
    hook = Webhook()
    hook.down = {"/oncall-b"}
    chosen = settings({"oncall": (hook.url("oncall-a"), hook.url("oncall-b")), "backup": hook.url("backup")},
                      [(0, ["oncall"]), (20, ["oncall"]), (40, ["oncall"])], fallback_channel="backup",
                      give_up_after=f"{int(give_up)}s")
    run = Run(folder, chosen, clock)
    lanes = {"oncall-a": "a", "oncall-b": "b", "backup": "b"}
    expected = {(lane, i) for lane in ("a", "b") for i in range(3)}
    try:
        run.manager.handle([finding(run.clock.now())])
        run.until(40 + 3 * give_up + 60, done=lambda: {(ln, s) for ln, _, st in hook.notices(lanes)
                                                        for s in st} >= expected)
        return {**count(hook.notices(lanes), expected), "healthy_url_messages":
                sum(1 for p, _ in hook.received if p == "/oncall-a")}
    finally:
        run.close()
        hook.close()


def reload_removes_channel(folder: Path, clock: FakeClock | None = None) -> dict:
    """After the first notice a reload drops the channel of the second step; the fallback takes it."""
    hook = Webhook()
    steps = [(0, ["oncall"]), (20, ["lead"]), (40, ["oncall"])]
    before = settings({n: hook.url(n) for n in ("oncall", "lead", "backup")}, steps, fallback_channel="backup")
    after = settings({n: hook.url(n) for n in ("oncall", "backup")}, steps, fallback_channel="backup")
    run = Run(folder, before, clock)
    lanes = {"oncall": "oncall", "lead": "lead", "backup": "lead"}
    expected = {("oncall", 0), ("lead", 1), ("oncall", 2)}
    try:
        [incident] = run.manager.handle([finding(run.clock.now())])
        run.until(10)
        run.reload(after)
        run.until(100, done=lambda: {(ln, s) for ln, _, st in hook.notices(lanes) for s in st} >= expected)
        said = [e.detail for e in run.store.events(incident.id) if e.kind == "channel_removed"]
        return {**count(hook.notices(lanes), expected), "timeline_says": said}
    finally:
        run.close()
        hook.close()


# kill -9 during an escalation: the manager runs in a child process
KILL_STEPS = [(0, ["oncall"]), (8, ["oncall"]), (16, ["oncall"])]


def _child(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    chosen = settings({"oncall": spec["url"]}, [tuple(s) for s in KILL_STEPS], pending_timeout="3s")
    store = SqliteStore(Path(spec["db"]))
    manager = IncidentManager(chosen, store, Notifier(chosen.config), Clock())
    manager.handle([finding(datetime.fromisoformat(spec["opened"]))])
    print("ready", flush=True)
    while True:
        manager.tick()
        time.sleep(0.5)


def _rows(db: Path) -> list:
    store = SqliteStore(db)
    try:
        return store.deliveries()
    finally:
        store.close()


def kill9_escalation(folder: Path, clock: FakeClock | None = None) -> dict:
    """kill -9 at five points of an escalation, each in a fresh run: before the first notice, mid-flight
    (the receiver holds the request), after the first notice, during a retry, and for long enough that two
    steps fall due while the daemon is down."""
    points = {}
    for point in ("before_first", "mid_flight", "after_first", "during_retry", "down_through_two_steps"):
        points[point] = _kill_at(folder / point, point)
    total = {k: sum(p[k] for p in points.values()) for k in ("lost", "duplicated", "duplicated_in_flight",
                                                              "out_of_order")}
    return {**total, "health_seconds": None, "points": points}


def _kill_at(folder: Path, point: str) -> dict:
    folder.mkdir(parents=True)
    hook = Webhook()
    spec = folder / "spec.json"
    spec.write_text(json.dumps({"url": hook.url("oncall"), "db": str(folder / "brandmon.db"),
                                "opened": datetime.now(timezone.utc).isoformat()}))
    command = [sys.executable, __file__, "--child", str(spec)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def start() -> subprocess.Popen:
        child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                 env=env)
        assert child.stdout.readline().strip() == "ready"
        return child

    def wait(condition, limit: float = 30) -> None:
        deadline = time.monotonic() + limit
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.05)

    def statuses() -> list[str]:
        return [d.status for d in _rows(folder / "brandmon.db")]

    down_for = 1.0
    if point == "mid_flight":
        hook.hold = 2.0
    if point == "during_retry":
        hook.down = {"/oncall"}
    child = start()
    try:
        if point == "mid_flight":
            wait(lambda: len(hook.received) >= 1)
        elif point == "after_first":
            wait(lambda: "sent" in statuses())
        elif point == "during_retry":
            wait(lambda: "retrying" in statuses())
        elif point == "down_through_two_steps":
            wait(lambda: "sent" in statuses())
            down_for = 18.0
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        hook.hold = 0.0
        hook.down = set()
        time.sleep(down_for)
        child = start()
        expected = {("oncall", i) for i in range(3)}
        wait(lambda: {(ln, s) for ln, _, st in hook.notices({}) for s in st} >= expected, limit=60)
        time.sleep(1.5)  # a duplicate would arrive within a tick or two
        in_flight = {("oncall", 0)} if point == "mid_flight" else set()
        return count(hook.notices({}), expected, in_flight)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        hook.close()


SCENARIOS = {
    "smtp_down_2min": smtp_down,
    "webhook_500_2min": webhook_500,
    "one_url_of_two_down": one_url_down,
    "kill9_escalation": kill9_escalation,
    "reload_removes_channel": reload_removes_channel,
}

if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    _child(sys.argv[2])
