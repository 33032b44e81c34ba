"""Headless Chromium spoken to with the Chrome DevTools Protocol over --remote-debugging-pipe.

Not a test module; the `browser` fixture (conftest.py) starts one per test module. File
descriptors 3 and 4 carry NUL-separated JSON: no driver, no npm package. Used by test_serve.py
(the live preview) and test_html_fonts.py (what a browser draws a page with).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from typing import Any

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


class Chromium:
    """Just enough of the DevTools protocol: open a tab, read its text, ask what it drew."""

    def __init__(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="briefsmith-chromium-")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def fds() -> None:  # in the child: its ends become fds 3 (commands) and 4 (replies)
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-default-browser-check", "--disable-extensions", "--disable-default-apps",
             "--disable-breakpad", "--disable-dev-shm-usage", "--mute-audio",
             # nothing but the preview: every host name is unresolvable
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
             "--remote-debugging-pipe", f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=fds, close_fds=False,
            # the fonts a reader's browser has: the machine's, not the private fontconfig file
            # the tests' WeasyPrint set in this process (formats/pdf.py)
            env={k: v for k, v in os.environ.items() if k != "FONTCONFIG_FILE"})
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer = b""
        self.next_id = 0
        self.session = ""

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: bool = True, seconds: float = 30) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method,
                                   "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + seconds
        while True:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self.next_id:
                    assert "error" not in reply, reply
                    return reply["result"]  # type: ignore[no-any-return]
            left = deadline - time.monotonic()
            assert left > 0, f"Chromium did not answer {method}"
            ready, _, _ = select.select([self.from_chrome], [], [], left)
            if ready:
                chunk = os.read(self.from_chrome, 1 << 16)
                assert chunk, "Chromium closed the pipe"
                self.buffer += chunk

    def open(self, url: str) -> None:
        # the first answer waits for Chromium to start: in a fresh profile on a busy machine
        # that once took over 30 s (a fresh clone's CI run)
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False,
                           seconds=120)
        self.session = self.call("Target.attachToTarget", {"targetId": target["targetId"],
                                                           "flatten": True},
                                 session=False)["sessionId"]
        self.call("Page.navigate", {"url": url})

    def text(self) -> str:
        result = self.call("Runtime.evaluate", {
            "expression": "document.body ? document.body.innerText : ''",
            "returnByValue": True})
        return str(result["result"].get("value", ""))

    def evaluate(self, expression: str, wait: bool = False) -> Any:
        """The expression's value; with `wait`, the value its promise settles to."""
        return self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                              "awaitPromise": wait})["result"].get("value")

    def load(self, url: str) -> None:
        """Open `url` and wait until it has loaded, with every font it asked for."""
        self.open(url)
        deadline = time.monotonic() + 60
        while self.evaluate("location.href") != url or self.evaluate(
                "document.readyState") != "complete":
            assert time.monotonic() < deadline, f"{url} did not load"
            time.sleep(0.1)
        assert self.evaluate("document.fonts.ready.then(() => document.fonts.status)",
                             wait=True) == "loaded"

    def fonts_of(self, selector: str) -> list[list[dict[str, Any]]]:
        """For each element the selector finds, the fonts its text was drawn with
        (CSS.getPlatformFontsForNode: family, PostScript name, web font or not, glyphs)."""
        self.call("DOM.enable")
        self.call("CSS.enable")
        root = self.call("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        nodes = self.call("DOM.querySelectorAll", {"nodeId": root,
                                                   "selector": selector})["nodeIds"]
        return [self.call("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
                for node in nodes]

    def close(self) -> None:
        try:
            self.call("Browser.close", session=False)
            self.proc.wait(10)
        except (AssertionError, OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_chrome)
        os.close(self.from_chrome)
        shutil.rmtree(self.profile, ignore_errors=True)
