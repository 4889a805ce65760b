"""Every bad answer a capture can meet, from a real local server: each raises CaptureError with
its reason and a message that names it (the CLI tests check exit codes and the empty output)."""

from __future__ import annotations

import socket
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from bagsmith.capture import capture_page
from bagsmith.errors import CaptureError
from tests.capture_helpers import BIG, Site, article_site, free_port, serve
from tests.test_capture_warc import limits, run

MB = 1024 * 1024


def stream_50mb(handler: BaseHTTPRequestHandler, *, declare: bool) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    if declare:
        handler.send_header("Content-Length", str(50 * MB))
    handler.send_header("Connection", "close")
    handler.end_headers()
    block = b"<p>" + b"x" * (MB - 3)
    try:
        for _ in range(50):
            handler.wfile.write(block)
    except OSError:
        pass  # the client stopped reading: that is the point
    handler.close_connection = True


def trickle(handler: BaseHTTPRequestHandler) -> None:
    """Headers at once, then a byte every 0.2 s: the page never finishes."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    try:
        for _ in range(40):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.2)
    except OSError:
        pass


def stall(handler: BaseHTTPRequestHandler) -> None:
    """No answer at all for 4 s."""
    time.sleep(4)
    handler.close_connection = True


def faulty_site() -> Site:
    site = article_site()
    site.add("/gone", b"gone", status=410)
    site.add("/missing", b"missing", status=404)
    site.add("/error", b"error", status=500)
    site.redirect("/loop-a", "/loop-b", 302)
    site.redirect("/loop-b", "/loop-a", 302)
    site.redirect("/to-file", "file:///etc/passwd", 302)
    site.add("/report.pdf", b"%PDF-1.4 ...", "application/pdf")
    site.routes["/huge"] = lambda h: stream_50mb(h, declare=False)
    site.routes["/huge-declared"] = lambda h: stream_50mb(h, declare=True)
    site.routes["/slow"] = trickle
    site.routes["/stalled"] = stall
    return site


@pytest.fixture
def bad() -> object:
    with serve(faulty_site()) as running:
        yield running


CASES = [
    ("/missing", {}, "http-status", "answered 404"),
    ("/gone", {}, "http-status", "answered 410"),
    ("/error", {}, "http-status", "answered 500"),
    ("/loop-a", {}, "redirect-loop", "redirect loop"),
    ("/to-file", {}, "url", "only http and https"),
    ("/report.pdf", {}, "not-html", "application/pdf"),
    ("/huge", {}, "too-large", "larger than the limit per resource"),
    ("/huge-declared", {}, "too-large", "announces 52428800 bytes"),
    ("/slow", {"timeout": 1.0}, "timeout", "did not finish within 1 s"),
    ("/stalled", {"timeout": 1.0}, "timeout", "1 s"),
    ("/news/harbour", {"max_capture_bytes": 3000}, "capture-too-large", "total limit"),
]


@pytest.mark.parametrize(("path", "kw", "reason", "words"), CASES, ids=[c[0] + c[2] for c in CASES])
def test_a_bad_answer_is_a_capture_error_with_its_reason(
    bad: Site, tmp_path: Path, path: str, kw: dict[str, object], reason: str, words: str
) -> None:
    with pytest.raises(CaptureError) as caught:
        run(bad, tmp_path, path=path, **kw)
    assert caught.value.reason == reason
    assert words in str(caught.value)


def test_too_many_redirects(tmp_path: Path) -> None:
    site = Site()
    for n in range(5):
        site.redirect(f"/r{n}", f"/r{n + 1}")
    with serve(site), pytest.raises(CaptureError) as caught:
        run(site, tmp_path, path="/r0", max_redirects=3)
    assert caught.value.reason == "redirect-loop" and "more than 3 redirects" in str(caught.value)


def test_a_host_nobody_listens_on_is_unreachable(tmp_path: Path) -> None:
    port = free_port()
    with pytest.raises(CaptureError) as caught:
        capture_page(f"http://127.0.0.1:{port}/x", tmp_path, limits(), software="t")
    assert caught.value.reason == "unreachable" and f"127.0.0.1:{port}" in str(caught.value)


def test_a_name_that_does_not_resolve_is_a_dns_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def no_dns(host: str, *args: object, **kw: object) -> object:
        asked.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(CaptureError) as caught:
        capture_page("http://news.example.invalid/a", tmp_path, limits(), software="t")
    assert caught.value.reason == "dns" and "news.example.invalid" in str(caught.value)
    assert asked == ["news.example.invalid"]


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1/a.html", "file:///etc/passwd", "http://user:secret@127.0.0.1/", "http:///x",
     "javascript:alert(1)", "http://127.0.0.1:99999/"],
)  # fmt: skip
def test_only_plain_http_urls_are_fetched(tmp_path: Path, url: str) -> None:
    with pytest.raises(CaptureError) as caught:
        capture_page(url, tmp_path, limits(), software="t")
    assert caught.value.reason == "url"
    assert not any(tmp_path.iterdir())


def test_failing_images_are_listed_and_the_capture_goes_on(tmp_path: Path) -> None:
    site = article_site()
    site.routes["/img/lazy.jpg"] = (200, {"Content-Type": "image/jpeg"}, BIG[: len(BIG) // 2])
    site.routes["/img/picture.jpg"] = lambda h: stream_50mb(h, declare=False)
    with serve(site):
        cap = run(site, tmp_path, max_resource_bytes=2 * MB)
    reasons = {f.url.rsplit("/", 1)[1]: f.reason for f in cap.failures}
    assert reasons == {
        "broken.jpg": "http-status",
        "lazy.jpg": "not-image",
        "picture.jpg": "too-large",
    }
    kept = sorted(p.name for p in (cap.folder / "article" / "article_files").iterdir())
    assert kept == ["big.jpg", "lead.jpg", "site.css"]
