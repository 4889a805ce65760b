"""A real HTTP server on 127.0.0.1 (a free port, its own thread) serving test articles, and the
articles: figures with ``srcset``, lazy (``data-src``) and ``<picture>`` images, a JSON-LD image,
a stylesheet, a redirect, a broken image; and handlers that fail on purpose (500, 404, 410, a
redirect loop, a non-HTML answer, 50 MB, an answer that never finishes)."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

Handler = Callable[[BaseHTTPRequestHandler], None]


def jpeg(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG", quality=90)
    return out.getvalue()


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


@dataclass
class Site:
    """What the server serves: path → (status, headers, body) or a handler; a log of requests
    (path, user agent, time)."""

    routes: dict[str, tuple[int, dict[str, str], bytes] | Handler] = field(default_factory=dict)
    log: list[tuple[str, str, float, dict[str, str]]] = field(default_factory=list)
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(
        self,
        path: str,
        body: bytes,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
    ) -> None:
        self.routes[path] = (status, {"Content-Type": content_type}, body)

    def redirect(self, path: str, to: str, status: int = 301) -> None:
        self.routes[path] = (status, {"Location": to, "Content-Type": "text/html"}, b"moved")

    def requested(self, path: str) -> int:
        return sum(1 for p, *_ in self.log if p == path)


def _make_handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            site.log.append(
                (
                    self.path,
                    self.headers.get("User-Agent", ""),
                    time.monotonic(),
                    dict(self.headers),
                )
            )
            route = site.routes.get(self.path)
            if route is None:
                route = (404, {"Content-Type": "text/plain"}, b"not found")
            if callable(route):
                route(self)
                return
            status, headers, body = route
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(body)

    return H


@contextlib.contextmanager
def serve(site: Site) -> Iterator[Site]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(site))
    server.daemon_threads = True
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# --- the test article ---------------------------------------------------------------------

SMALL = jpeg(40, 30, (200, 30, 30))
BIG = jpeg(640, 480, (30, 200, 30))
LAZY = jpeg(500, 300, (30, 30, 200))
PICTURE = jpeg(600, 400, (200, 200, 30))
LEAD = jpeg(800, 600, (90, 90, 90))
CSS = b"body { font-family: serif; max-width: 40em; }\n"
TEXT = "The harbour froze over for the first time in forty years."

ARTICLE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>The harbour in winter</title>
<link rel="stylesheet" href="/static/site.css">
<meta name="author" content="Ann Writer">
<meta property="article:published_time" content="2024-01-15">
<script type="application/ld+json">
{{"@context": "https://schema.org", "@type": "NewsArticle",
  "headline": "The harbour in winter", "image": {{"@type": "ImageObject", "url": "/img/lead.jpg"}}}}
</script>
</head><body>
<nav><a href="/">Home</a></nav>
<article>
<h1>The harbour in winter</h1>
<p>{TEXT}</p>
<p>Fishermen walked to their boats on the ice, and the ferry stayed in port all week.</p>
<figure><img src="/img/small.jpg" srcset="/img/small.jpg 40w, /img/big.jpg 640w"
  sizes="100vw" alt="Ice on the harbour">
<figcaption>Figure 1. Ice covers the harbour, 12 January 2024. Photo: Ann Writer</figcaption></figure>
<p>The last time the harbour froze was in the winter of 1984.</p>
<figure><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="/img/lazy.jpg"
  alt="Boats in the ice">
<figcaption>Figure 2. Boats held fast by the ice. Photo: Ann Writer</figcaption></figure>
<figure><picture><source srcset="/img/picture.jpg 600w" type="image/jpeg">
<img src="/img/small.jpg" alt="The pier"></picture>
<figcaption>Figure 3. The pier at dawn. Photo: Ann Writer</figcaption></figure>
<figure><img src="/img/broken.jpg" alt="A broken image">
<figcaption>Figure 4. A photograph the server no longer has. Photo: Ann Writer</figcaption>
</figure>
</article>
<footer>Example Gazette</footer>
</body></html>
""".encode()

#: bytes served at each image path of ARTICLE
IMAGES = {
    "/img/small.jpg": SMALL,
    "/img/big.jpg": BIG,
    "/img/lazy.jpg": LAZY,
    "/img/picture.jpg": PICTURE,
    "/img/lead.jpg": LEAD,
}


def article_site(site: Site | None = None, *, broken: bool = True) -> Site:
    """The test article at /news/harbour (reached from /harbour by a redirect)."""
    site = site or Site()
    page = ARTICLE if broken else ARTICLE.replace(b"/img/broken.jpg", b"/img/small.jpg")
    site.add("/news/harbour", page)
    site.redirect("/harbour", "/news/harbour")
    site.add("/static/site.css", CSS, "text/css")
    site.add("/robots.txt", b"User-agent: *\nDisallow: /private/\n", "text/plain")
    for path, data in IMAGES.items():
        site.add(path, data, "image/jpeg")
    site.routes["/img/broken.jpg"] = (500, {"Content-Type": "text/plain"}, b"oops")
    return site


@pytest.fixture
def site() -> Iterator[Site]:
    with serve(article_site()) as running:
        yield running


# --- pywb, the replay oracle ----------------------------------------------------------------


def pywb_bin(name: str) -> str | None:
    """A pywb executable: in the virtual environment scripts/test-setup.sh installs it into
    (pywb pins old versions of packages the project uses, so it does not share the test
    interpreter), else on PATH."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    venv = cache / "bagsmith-test" / "pywb-2.10.0" / "bin" / name
    return str(venv) if venv.is_file() else shutil.which(name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def pywb(warc: Path, folder: Path) -> Iterator[str]:
    """pywb replaying ``warc`` on a free port; yields the collection's base URL."""
    manager, wayback = pywb_bin("wb-manager"), pywb_bin("wayback")
    if manager is None or wayback is None:
        pytest.skip("pywb is not installed (scripts/test-setup.sh installs it)")
    folder.mkdir()
    subprocess.run([manager, "init", "c"], cwd=folder, check=True, capture_output=True)
    subprocess.run([manager, "add", "c", str(warc)], cwd=folder, check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen(
        [wayback, "-p", str(port), "-b", "127.0.0.1"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("pywb did not start")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/c"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
