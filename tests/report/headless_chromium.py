"""Open a local HTML file in headless Chromium and report what the page did.

Speaks the DevTools protocol over ``--remote-debugging-pipe`` (JSON messages ended by NUL on
file descriptors 3 and 4), so it needs no network port, no websocket library and no
browser download: only Debian's ``chromium`` binary.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic", "--remote-debugging-pipe")
# What the page reports about itself once loaded.
PAGE_PROBE = """JSON.stringify({
  images: document.images.length,
  imagesLoaded: Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length,
  scripts: document.scripts.length,
  text: document.body ? document.body.innerText : ""
})"""


@dataclass
class PageReport:
    images: int
    images_loaded: int
    scripts: int
    text: str
    errors: list[str] = field(default_factory=list)  # console errors, exceptions, error log entries
    dialogs: list[str] = field(default_factory=list)  # alert()/confirm() the page tried to open


class DevToolsPipe:
    def __init__(self, process: subprocess.Popen, to_browser: int, from_browser: int):
        self.process, self.to_browser, self.from_browser = process, to_browser, from_browser
        self.buffer, self.events, self.next_id = b"", [], 0

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.from_browser], [], [], remaining)[0]:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self.from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError(f"chromium closed the pipe (exit code {self.process.poll()})")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        for index, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(index)
        while True:
            event = self._read_message(deadline)
            if event.get("method") == method:
                return event
            self.events.append(event)


_MOVE_FDS_AND_EXEC = "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); " \
    "os.execv(sys.argv[3], sys.argv[3:])"


def _high_fd(fd: int) -> int:
    """Move ``fd`` to 10 or above, so moving it onto 3 or 4 in the child cannot clobber the other end."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


def _launch(binary: str, profile: str) -> DevToolsPipe:
    to_browser_read, to_browser = os.pipe()
    from_browser, from_browser_write = os.pipe()
    to_browser_read, from_browser_write = _high_fd(to_browser_read), _high_fd(from_browser_write)
    # A small exec shim moves our pipe ends onto fds 3 and 4, where Chromium expects them
    # (sh would do it too, but dash cannot name descriptors above 9).
    command = [sys.executable, "-c", _MOVE_FDS_AND_EXEC, str(to_browser_read), str(from_browser_write), binary,
               *FLAGS, f"--user-data-dir={profile}", "about:blank"]
    process = subprocess.Popen(command, pass_fds=(to_browser_read, from_browser_write),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(to_browser_read)
    os.close(from_browser_write)
    return DevToolsPipe(process, to_browser, from_browser)


def _errors(events: list[dict]) -> list[str]:
    found = []
    for event in events:
        params = event.get("params", {})
        method = event.get("method")
        if method == "Runtime.exceptionThrown":
            found.append(json.dumps(params.get("exceptionDetails", {}))[:300])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            found.append(json.dumps(params.get("args", []))[:300])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            found.append(params["entry"].get("text", "")[:300])
    return found


def _probe(pipe: DevToolsPipe, url: str) -> PageReport:
    target = pipe.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Runtime", "Log", "Page"):
        pipe.call(f"{domain}.enable", session=session)
    pipe.call("Page.navigate", {"url": url}, session=session)
    pipe.wait_for("Page.loadEventFired")
    time.sleep(0.3)  # let late console messages arrive before collecting them
    value = pipe.call("Runtime.evaluate", {"expression": PAGE_PROBE, "returnByValue": True},
                      session=session)["result"]["value"]
    page = json.loads(value)
    dialogs = [e["params"].get("message", "") for e in pipe.events if e.get("method") == "Page.javascriptDialogOpening"]
    return PageReport(page["images"], page["imagesLoaded"], page["scripts"], page["text"], _errors(pipe.events), dialogs)


def render_page(html_file: Path, timeout: float = 60) -> PageReport:
    """Load ``html_file`` (file:// only) in a fresh headless Chromium profile and probe it."""
    binary = shutil.which("chromium")
    if binary is None:
        raise FileNotFoundError("chromium is not installed (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory(prefix="xstilts-chromium-") as profile:
        pipe = _launch(binary, profile)
        try:
            return _probe(pipe, html_file.resolve().as_uri())
        finally:
            try:
                pipe.call("Browser.close", timeout=10)
            except (RuntimeError, TimeoutError):
                pass
            os.close(pipe.to_browser)
            os.close(pipe.from_browser)
            try:
                pipe.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pipe.process.kill()
                pipe.process.wait()
