"""A real headless chromium (Debian's package; never a browser downloaded at run time) driven over the
DevTools protocol: the signer runs a platform's own JavaScript in it, `brandmon login` shows its login page.

Every call is bounded by a timeout and fails as BrowserError, so a hung or dead browser never hangs a crawl.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

CHROMIUM_ENV = ("BRANDMON_CHROMIUM", "PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH")


class BrowserError(RuntimeError):
    """The browser is missing, died, timed out, or the page's script threw."""


def chromium_binary() -> str:
    """$BRANDMON_CHROMIUM, $PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH, else chromium on the PATH."""
    for name in CHROMIUM_ENV:
        if os.environ.get(name):
            return os.environ[name]
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise BrowserError("no chromium: install Debian's package (apt-get install chromium) "
                           "or set BRANDMON_CHROMIUM to its path")
    return found


class Chromium:
    """One chromium process with one page, on a DevTools port it picks itself on 127.0.0.1."""

    def __init__(self, timeout: float = 30.0) -> None:
        import websocket

        self.timeout = timeout
        binary = chromium_binary()
        self._profile = tempfile.mkdtemp(prefix="brandmon-chromium-")
        try:
            self.proc = subprocess.Popen(
                [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                 "--disable-background-networking", "--remote-debugging-port=0",
                 "--remote-debugging-address=127.0.0.1", f"--user-data-dir={self._profile}", "about:blank"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError as exc:
            shutil.rmtree(self._profile, ignore_errors=True)
            raise BrowserError(f"chromium did not start: {exc}") from None
        try:
            self._ws = websocket.create_connection(self._page_socket(), timeout=timeout, suppress_origin=True)
        except BrowserError:
            self.close()
            raise
        except Exception as exc:  # websocket's own errors: the browser is not usable
            self.close()
            raise BrowserError(f"could not talk to chromium: {exc}") from None
        self._id = 0
        try:
            self.send("Page.enable")
            self.send("Network.enable")
        except BrowserError:
            self.close()
            raise

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None and self._ws is not None and self._ws.connected

    def _page_socket(self) -> str:
        """The page's DevTools socket, once chromium has written its port into the profile."""
        import urllib.request

        port_file = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BrowserError(f"chromium exited with {self.proc.returncode} while starting")
            try:
                port = int(port_file.read_text().split()[0])
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                    pages = [t for t in json.load(r) if t["type"] == "page"]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            except (OSError, ValueError, IndexError):
                pass
            time.sleep(0.1)
        raise BrowserError(f"chromium did not open its DevTools port within {self.timeout:.0f} s")

    def send(self, method: str, timeout: float | None = None, **params) -> dict:
        import websocket

        if self._ws is None:
            raise BrowserError("the browser is closed")
        self._id += 1
        ident = self._id
        deadline = time.monotonic() + (timeout or self.timeout)
        try:
            self._ws.send(json.dumps({"id": ident, "method": method, "params": params}))
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BrowserError(f"{method} took longer than {timeout or self.timeout:.0f} s")
                self._ws.settimeout(left)
                message = json.loads(self._ws.recv())
                if message.get("id") == ident:
                    break
        except websocket.WebSocketTimeoutException:
            raise BrowserError(f"{method} took longer than {timeout or self.timeout:.0f} s") from None
        except (websocket.WebSocketException, OSError, ValueError) as exc:
            raise BrowserError(f"the browser went away during {method}: {exc or type(exc).__name__}") from None
        if "error" in message:
            raise BrowserError(f"{method}: {message['error'].get('message', message['error'])}")
        return message.get("result", {})

    def evaluate(self, expression: str, timeout: float | None = None):
        """The value of a JS expression (promises awaited); a thrown error becomes BrowserError."""
        result = self.send("Runtime.evaluate", timeout=timeout, expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = (details.get("exception") or {}).get("description") or details.get("text", "error")
            raise BrowserError(f"the page's script failed: {text.splitlines()[0][:200]}")
        return result.get("result", {}).get("value")

    def open(self, url: str, timeout: float | None = None) -> None:
        """Navigate and wait until the new document has loaded."""
        self.send("Page.navigate", url=url)
        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            try:
                state = self.evaluate("[document.readyState, location.href]", timeout=5)
            except BrowserError:
                if not self.alive:
                    raise
                state = None
            if state and state[0] == "complete" and state[1] != "about:blank":
                return
            time.sleep(0.1)
        raise BrowserError(f"{url} did not load within {timeout or self.timeout:.0f} s")

    def cookies(self, urls: list[str]) -> list[dict]:
        return self.send("Network.getCookies", urls=urls).get("cookies", [])

    def set_cookies(self, cookies: list[dict]) -> None:
        if cookies:
            self.send("Network.setCookies", cookies=cookies)

    def screenshot(self, selector: str) -> bytes:
        """A PNG of one element (the login QR code)."""
        import base64

        box = self.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return null;"
                            " const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })()")
        if not box or box[2] <= 0 or box[3] <= 0:
            raise BrowserError(f"no visible {selector} on the page")
        clip = {"x": box[0], "y": box[1], "width": box[2], "height": box[3], "scale": 1}
        return base64.b64decode(self.send("Page.captureScreenshot", format="png", clip=clip)["data"])

    def close(self) -> None:
        """Stops the process (terminate, then kill) and removes its throwaway profile."""
        ws, self._ws = getattr(self, "_ws", None), None
        try:
            if ws is not None:
                ws.close()
        except Exception:  # closing a socket to a dead browser: nothing left to do
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        shutil.rmtree(self._profile, ignore_errors=True)
