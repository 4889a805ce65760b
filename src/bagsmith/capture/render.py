"""Access copies of a captured page: a full-page screenshot (PNG) and a PDF, from headless
Chromium (Debian's ``chromium``).

The captured copy is rendered (``article/article.html`` with its captured images and
stylesheets), not the live page: the renderings show what the package holds, and rendering
makes no request to the site. Chromium runs with a throw-away profile, its network cut off
(``--host-resolver-rules`` maps every name to nothing, the proxy is a dead address), and is
driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: file descriptors 3
and 4, NUL-separated JSON), so no port is opened and no extra library is needed: load the page,
measure its full content size (``Page.getLayoutMetrics``), ``Page.captureScreenshot`` of that
whole area, ``Page.printToPDF``.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from ..errors import CaptureError

SCREENSHOT_NAME = "screenshot.png"
PDF_NAME = "page.pdf"
WIDTH = 1280
MAX_HEIGHT = 16384  # Chromium's texture limit: taller pages are cut at this height
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def find_browser() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


class _Pipe:
    """The DevTools protocol over Chromium's debugging pipe."""

    def __init__(self, proc: subprocess.Popen[bytes], to_browser: int, from_browser: int) -> None:
        self.proc = proc
        self.write_fd = to_browser
        self.read_fd = from_browser
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self.read_fd], [], [], left)
            if not ready:
                raise TimeoutError
            chunk = os.read(self.read_fd, 1 << 20)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(
        self, method: str, deadline: float, session: str | None = None, **params: Any
    ) -> dict[str, Any]:
        self.next_id += 1
        ident = self.next_id
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == ident:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error'].get('message')}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    def wait_event(self, method: str, deadline: float) -> None:
        while True:
            if any(e.get("method") == method for e in self.events):
                return
            self.events.append(self._read_message(deadline))


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop Chromium and every process of its group, and wait until all are gone: its helpers
    outlive the main process for a moment and write to the profile until they exit."""
    _signal_group(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        _signal_group(proc.pid, signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 10
    while _signal_group(proc.pid, 0):
        if time.monotonic() > deadline:
            _signal_group(proc.pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
        time.sleep(0.02)


def _remove_profile(profile: str) -> None:
    """The profile, and the folder Chromium made in the temporary directory for its singleton
    socket (``org.chromium.Chromium.*``, named by the profile's ``SingletonSocket`` link)."""
    try:
        socket = os.readlink(os.path.join(profile, "SingletonSocket"))
    except OSError:
        socket = ""
    folder = os.path.dirname(socket)
    if os.path.basename(folder).startswith("org.chromium.Chromium."):
        shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(profile, ignore_errors=True)


def _signal_group(group: int, signum: int) -> bool:
    """Send ``signum`` to a process group; False when no process of it is left."""
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of the group that is not ours any more
        return False
    return True


def render_page(page: Path, out_dir: Path, timeout: float) -> list[tuple[Path, str]]:
    """Write ``screenshot.png`` and ``page.pdf`` of ``page`` into ``out_dir``; (file, MIME)."""
    browser = find_browser()
    if browser is None:
        raise CaptureError(
            "rendering the page ({render}) needs Chromium, and no chromium is installed",
            reason="render",
            hint="install Debian's chromium package, or leave out {render}",
        )
    profile = tempfile.mkdtemp(prefix="bagsmith-chromium-")
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()
    args = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-sync",
        "--hide-scrollbars",
        "--mute-audio",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=127.0.0.1:9",
        f"--user-data-dir={profile}",
        f"--window-size={WIDTH},900",
        "--remote-debugging-pipe",
        "about:blank",
    ]

    def child_fds() -> None:  # the protocol's fixed descriptors: 3 reads, 4 writes
        # copies first: a pipe end may already be 3 or 4 (and dup2 onto itself changes nothing)
        read_end, write_end = os.dup(to_r), os.dup(from_w)
        os.dup2(read_end, 3)
        os.dup2(write_end, 4)
        os.set_inheritable(3, True)
        os.set_inheritable(4, True)

    proc = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=False,  # descriptors bagsmith opens are close-on-exec; 3 and 4 are not
        preexec_fn=child_fds,  # only os.dup2: safe even with other threads running
        # its own process group, so that its helpers (renderer, GPU, crashpad) stop with it
        start_new_session=True,
    )
    os.close(to_r)
    os.close(from_w)
    pipe = _Pipe(proc, to_w, from_r)
    deadline = time.monotonic() + max(timeout, 30.0)
    try:
        target = pipe.call("Target.createTarget", deadline, url="about:blank")["targetId"]
        session = pipe.call("Target.attachToTarget", deadline, targetId=target, flatten=True)[
            "sessionId"
        ]
        pipe.call("Page.enable", deadline, session)
        pipe.call("Page.navigate", deadline, session, url=page.resolve().as_uri())
        pipe.wait_event("Page.loadEventFired", deadline)
        metrics = pipe.call("Page.getLayoutMetrics", deadline, session)
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        width = max(1, int(size["width"]))
        height = max(1, min(MAX_HEIGHT, int(size["height"])))
        pipe.call(
            "Emulation.setDeviceMetricsOverride",
            deadline,
            session,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        shot = pipe.call(
            "Page.captureScreenshot",
            deadline,
            session,
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        )
        pipe.call("Emulation.clearDeviceMetricsOverride", deadline, session)
        pdf = pipe.call("Page.printToPDF", deadline, session, printBackground=True)
    except (TimeoutError, EOFError, RuntimeError, KeyError, OSError, ValueError) as exc:
        raise CaptureError(
            f"Chromium could not render the captured page: {exc!r}", reason="render"
        ) from None
    finally:
        for fd in (to_w, from_r):
            os.close(fd)
        _stop(proc)
        _remove_profile(profile)
    png = out_dir / SCREENSHOT_NAME
    png.write_bytes(base64.b64decode(shot["data"]))
    out = out_dir / PDF_NAME
    out.write_bytes(base64.b64decode(pdf["data"]))
    return [(png, "image/png"), (out, "application/pdf")]
