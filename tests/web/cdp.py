"""A real headless chromium (Debian's package, never a downloaded build) driven over the DevTools protocol."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
import websocket

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}


def chromium_binary() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: scripts/test.sh installs Debian's chromium")
        pytest.skip("no chromium on this machine (scripts/test.sh installs it)")
    return found


class Browser:
    """One chromium process and one page; every wait is bounded."""

    def __init__(self, port: int) -> None:
        self._profile = tempfile.mkdtemp(prefix="brandmon-chromium-")
        self.proc = subprocess.Popen(
            [chromium_binary(), "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--disable-extensions", "--disable-background-networking",
             f"--remote-debugging-port={port}", "--remote-debugging-address=127.0.0.1",
             f"--user-data-dir={self._profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._port = port
        self._ws = websocket.create_connection(self._page_socket(), timeout=60)
        self._id = 0
        self.send("Page.enable")
        self.send("Emulation.setDeviceMetricsOverride", **PHONE)
        self.send("Emulation.setUserAgentOverride",
                  userAgent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile brandmon-test")

    def _page_socket(self) -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self._port}/json/list", timeout=5) as r:
                    pages = [t for t in json.load(r) if t["type"] == "page"]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            except OSError:
                pass
            if self.proc.poll() is not None:
                pytest.fail(f"chromium exited with {self.proc.returncode}")
            time.sleep(0.3)
        pytest.fail("chromium did not open its DevTools port within 60 s")

    def send(self, method: str, **params):
        self._id += 1
        ident = self._id
        self._ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            message = json.loads(self._ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
        raise TimeoutError(method)

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result["result"].get("value")

    def open(self, url: str) -> None:
        self.send("Page.navigate", url=url)
        self.wait_loaded(url_part=url.split("?")[0])

    def wait_loaded(self, url_part: str = "", timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.evaluate("[document.readyState, location.href]")
            if state and state[0] == "complete" and url_part in state[1]:
                return
            time.sleep(0.2)
        raise TimeoutError(f"page {url_part} did not load")

    def tap(self, selector: str) -> None:
        """A touch-sized mouse click at the element's centre, as a finger would land, then wait for the reply page."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).scrollIntoView({{block: 'center'}})")
        box = self.evaluate(f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
                            ".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        marker = self.evaluate("window.__marker = Math.random(); window.__marker")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the form posts and a new document replaces this one
            if self.evaluate("window.__marker") != marker and self.evaluate("document.readyState") == "complete":
                return
            time.sleep(0.2)
        raise TimeoutError(f"tapping {selector} loaded no page")

    def type_into(self, selector: str, text: str) -> None:
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self.send("Input.insertText", text=text)

    def screenshot(self, path: Path) -> bytes:
        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        import base64

        png = base64.b64decode(data)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
        return png

    def close(self) -> None:
        try:
            self._ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            shutil.rmtree(self._profile, ignore_errors=True)
