"""`brandmon run` as a real subprocess against the demo site on loopback, with a json:// receiver for alerts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from monitor.demo.mailbox import free_port
from monitor.demo.run import write_config
from monitor.demo.site import DemoSite
from tests.alerting.conftest import Receiver
from tests.conftest import ROOT

ACK_SECRET = "test-ack-secret-value"
QUIET_RULE = """type: keyword
description: 永不触发
severity: warning
keywords: [这个词不会出现在演示站点]
window: 1d
min_count: 1
"""
NEW_RULE = """type: keyword
description: 新规则：提到星河
severity: warning
keywords: [星河]
window: 1d
min_count: 1
"""
PLAYBOOKS = """warning:
  steps:
    - notify: [hook]
  resolve_after: 1d
critical:
  steps:
    - notify: [hook]
  resolve_after: 1d
"""


def daemon_config(folder: Path, site: DemoSite, receiver: Receiver, **daemon: object) -> Path:
    """The demo's own sources, pointed at this site; one quiet rule; alerts to the receiver; a free HTTP port."""
    folder.mkdir(parents=True, exist_ok=True)
    unused_mailbox = SimpleNamespace(url=lambda to: "json://127.0.0.1:9/unused")  # channels are replaced below
    data = yaml.safe_load(write_config(folder, site, unused_mailbox, None).read_text(encoding="utf-8"))
    rules = folder / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "quiet.yaml").write_text(QUIET_RULE, encoding="utf-8")
    (rules / "playbooks.yaml").write_text(PLAYBOOKS, encoding="utf-8")
    port = free_port()
    for source in data["sources"]:
        source["interval"] = "1h"
    data.update({
        "channels": {"hook": receiver.url("hook")},
        "rules_dir": str(rules),
        "evaluate_every": "2s",
        "alerting": {"group_wait": "0s"},
        "http": {"bind": f"127.0.0.1:{port}", "public_url": f"http://127.0.0.1:{port}", "ack_secret": ACK_SECRET},
        "daemon": {"jitter": 0, "tick_every": "1s", "shutdown_grace": "15s", **daemon},
    })
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def brandmon(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout)


class DaemonProcess:
    """A `brandmon run` child logging JSON lines to a file; every wait is bounded."""

    def __init__(self, config: Path, log: Path, own_group: bool = False) -> None:
        self.config = config
        self.log = log
        settings = yaml.safe_load(config.read_text(encoding="utf-8"))
        self.base = settings["http"]["public_url"]
        self._log_file = log.open("w", encoding="utf-8")
        self.proc = subprocess.Popen([sys.executable, "-m", "monitor", "--log-format", "json", "run", "-c", str(config)],
                                     cwd=ROOT, stdout=subprocess.DEVNULL, stderr=self._log_file,
                                     start_new_session=own_group)

    def get(self, path: str, data: bytes | None = None) -> tuple[int, str]:
        request = urllib.request.Request(self.base + path, data=data)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")

    def wait_for(self, what, timeout: float = 60.0, every: float = 0.2):
        """Poll `what()` until it returns something truthy; fail with the log's tail otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"daemon exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                value = what()
            except (OSError, urllib.error.URLError):
                value = None
            if value:
                return value
            time.sleep(every)
        pytest.fail(f"timed out after {timeout} s waiting for {getattr(what, '__name__', what)}:\n{self.log_tail()}")

    def healthy(self) -> bool:
        return self.get("/healthz")[0] == 200

    def metrics(self) -> dict[tuple, float]:
        """Samples by (name, sorted labels)."""
        status, text = self.get("/metrics")
        assert status == 200
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(text) for s in family.samples}

    def logs(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines() if line.startswith("{")]

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(encoding="utf-8").splitlines()[-30:])

    def terminate(self, timeout: float = 40.0, group: bool = False) -> tuple[int, float]:
        """SIGTERM to the daemon, or to its whole process group (as systemd does) when `group`."""
        started = time.monotonic()
        if group:
            os.killpg(self.proc.pid, signal.SIGTERM)
        else:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        self._log_file.close()
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        if not self._log_file.closed:
            self._log_file.close()


def metric(samples: dict[tuple, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(scope="module")
def site():
    demo = DemoSite().start()
    yield demo
    demo.stop()


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()
