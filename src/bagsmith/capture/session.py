"""Capture one web page with what it needs to be read again, into a working folder.

The folder's layout is the one the package keeps (docs/capture.md)::

    article/article.html          the page as a saved page: images and stylesheets point at
                                  the captured files (the bytes as served are in the WARC)
    article/article_files/...     the captured images (best resolution) and stylesheets
    capture/capture.warc.gz       every HTTP exchange (robots.txt, redirects, page, resources)
    capture/capture.wacz          the same, indexed for replay (ReplayWeb.page, pywb)

Steps: robots.txt of each host (unless ignored), the page with its redirects, then its images
and stylesheets each with their redirects. The page must answer 2xx with HTML, within the
limits; anything else raises :class:`~bagsmith.errors.CaptureError`. A resource that fails is
listed (``failures``) and the capture goes on; only the capture's total size limit stops it.
"""

from __future__ import annotations

import io
import os
import re
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from ..errors import CaptureError
from . import page as pages
from .fetch import Exchange, Fetcher, Limits, check_url, host_key
from .warc import WARC_VERSION, WarcFile, Written

ARTICLE_NAME = "article.html"
FILES_DIR = "article_files"
WARC_NAME = "capture.warc.gz"
WACZ_NAME = "capture.wacz"
HTML_TYPES = ("text/html", "application/xhtml+xml")
_REDIRECTS = (301, 302, 303, 307, 308)
_IMAGE_EXT = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif",
              "image/webp": ".webp", "image/tiff": ".tif", "image/avif": ".avif",
              "image/bmp": ".bmp"}  # fmt: skip
_PIL_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif",
              "WEBP": "image/webp", "TIFF": "image/tiff", "BMP": "image/bmp",
              "AVIF": "image/avif"}  # fmt: skip
_NETWORK = frozenset({"dns", "unreachable", "tls", "timeout", "protocol", "capture-too-large"})
_DISALLOW_ALL = ["User-agent: *", "Disallow: /"]
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class Fetched:
    """One URL the page needs (or the page itself), as captured."""

    url: str  # as the page names it (absolute)
    kind: str  # page | image | stylesheet | robots
    final_url: str | None = None  # after redirects
    status: int | None = None  # of the final answer
    content_type: str | None = None
    length: int = 0
    date: datetime | None = None  # of the final answer
    redirects: list[str] = field(default_factory=list)  # each URL that redirected
    record: Written | None = None  # the final answer's records in the WARC
    file: str | None = None  # path under the working folder when kept as a file
    error: str | None = None  # why it failed
    reason: str | None = None  # CaptureError reason, or "http-status", "not-image"

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "kind": self.kind,
            "final_url": self.final_url,
            "status": self.status,
            "content_type": self.content_type,
            "length": self.length,
            "date": self.date.isoformat() if self.date else None,
            "redirects": list(self.redirects),
            "warc_record_id": self.record.response_id if self.record else None,
            "warc_request_id": self.record.request_id if self.record else None,
            "warc_offset": self.record.offset if self.record else None,
            "warc_payload_digest": self.record.payload_digest if self.record else None,
            "file": self.file,
            "error": self.error,
            "reason": self.reason,
        }


@dataclass
class Capture:
    """What :func:`capture_page` did."""

    url: str  # as given
    final_url: str
    status: int
    date: datetime  # when the page's answer arrived (UTC): its Memento-Datetime
    user_agent: str
    robots: str  # "honoured" | "ignored"
    folder: Path
    article: Path  # folder/article/article.html
    warc: Path
    wacz: Path | None
    warcinfo_id: str
    title: str | None
    page: Fetched
    resources: list[Fetched]
    limits: Limits
    renderings: list[tuple[Path, str]] = field(default_factory=list)  # (file, MIME type)

    @property
    def failures(self) -> list[Fetched]:
        return [r for r in self.resources if r.error is not None]

    @property
    def memento_datetime(self) -> str:
        return format_datetime(self.date, usegmt=True)

    def to_dict(self) -> dict[str, Any]:
        """The capture record (``capture.json`` in the bag)."""
        return {
            "url": self.url,
            "final_url": self.final_url,
            "status": self.status,
            "capture_time": self.date.isoformat(),
            "memento_datetime": self.memento_datetime,
            "user_agent": self.user_agent,
            "robots": self.robots,
            "warc_version": WARC_VERSION,
            "warcinfo_id": self.warcinfo_id,
            "limits": {
                "delay_seconds": self.limits.delay,
                "timeout_seconds": self.limits.timeout,
                "max_resource_bytes": self.limits.max_resource_bytes,
                "max_capture_bytes": self.limits.max_capture_bytes,
                "max_redirects": self.limits.max_redirects,
            },
            "page": self.page.to_dict(),
            "resources": [r.to_dict() for r in self.resources],
            "failures": [r.url for r in self.failures],
        }


class _Robots:
    """robots.txt of each host, fetched once and recorded in the WARC (RFC 9309: a 4xx
    answer allows everything; 5xx, a redirect loop, an oversized file forbid everything; a host
    that cannot be resolved or reached is that error, for whatever needed it)."""

    def __init__(self, session: _Session) -> None:
        self.session = session
        self.parsers: dict[str, urllib.robotparser.RobotFileParser] = {}

    def allowed(self, url: str) -> bool:
        if not self.session.limits.honour_robots:
            return True
        key = host_key(url)
        parser = self.parsers.get(key)
        if parser is None:
            parser = self.parsers[key] = self._load(url)
        return parser.can_fetch(self.session.limits.user_agent, url)

    def _load(self, url: str) -> urllib.robotparser.RobotFileParser:
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        parser = urllib.robotparser.RobotFileParser(robots_url)
        item = Fetched(robots_url, "robots")
        try:
            got = self.session.follow(robots_url, item, accept="text/plain")
        except CaptureError as exc:
            if exc.reason in _NETWORK:  # the host cannot be asked anything: say why
                raise
            item.error, item.reason = exc.message, exc.reason
            parser.parse(_DISALLOW_ALL)
            self.session.robots_files.append(item)
            return parser
        with got as ex:
            if 200 <= ex.status < 300:
                text = ex.read_body().decode("utf-8", errors="replace")
                parser.parse(text.splitlines())
            elif 400 <= ex.status < 500:
                parser.parse([])
            else:
                parser.parse(_DISALLOW_ALL)
        self.session.robots_files.append(item)
        return parser


class _Closing:
    def __init__(self, ex: Exchange) -> None:
        self.ex = ex

    def __enter__(self) -> Exchange:
        return self.ex

    def __exit__(self, *exc: object) -> None:
        self.ex.close()


class _Session:
    def __init__(self, limits: Limits, warc: WarcFile, sleep: Callable[[float], None]) -> None:
        self.limits = limits
        self.warc = warc
        self.fetcher = Fetcher(limits, sleep=sleep)
        self.robots = _Robots(self)
        self.robots_files: list[Fetched] = []

    def follow(self, url: str, item: Fetched, *, accept: str) -> _Closing:
        """Fetch ``url`` and every redirect, each recorded; the final exchange (open)."""
        seen = {url}
        current = url
        while True:
            if item.kind != "robots" and not self.robots.allowed(current):
                raise CaptureError(
                    f"robots.txt of {urlsplit(current).netloc} does not allow {current}",
                    reason="robots",
                    path=current,
                    hint="capture it anyway with {ignore_robots} (recorded in the metadata)",
                )
            ex = self.fetcher.fetch(current, accept=accept)
            written = self.warc.exchange(ex)
            location = ex.header("Location")
            if ex.status in _REDIRECTS and location:
                ex.close()
                target = urljoin(current, location.strip())
                item.redirects.append(current)
                if target in seen:
                    raise CaptureError(
                        f"redirect loop: {current} leads back to {target}",
                        reason="redirect-loop",
                        path=url,
                    )
                if len(item.redirects) > self.limits.max_redirects:
                    raise CaptureError(
                        f"more than {self.limits.max_redirects} redirects",
                        reason="redirect-loop",
                        path=url,
                    )
                try:
                    current = check_url(target)
                except CaptureError as exc:
                    raise CaptureError(
                        f"redirected to an address bagsmith does not fetch: {exc.message}",
                        reason="url",
                        path=url,
                    ) from None
                seen.add(current)
                continue
            item.final_url = current
            item.status = ex.status
            item.content_type = ex.content_type
            item.length = ex.length
            item.date = ex.date
            item.record = written
            return _Closing(ex)


def _charset(ex: Exchange) -> str | None:
    value = ex.header("Content-Type") or ""
    match = re.search(r"charset=[\"']?([A-Za-z0-9._:-]+)", value, re.IGNORECASE)
    return match.group(1) if match else None


def _file_name(url: str, content_type: str, taken: set[str]) -> str:
    """A safe, unique file name for a captured resource, its extension matching its type."""
    base = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]) or "resource"
    stem, ext = os.path.splitext(base)
    stem = _UNSAFE_NAME.sub("-", stem).strip("-.")[:80] or "resource"
    wanted = _IMAGE_EXT.get(content_type) or (".css" if content_type == "text/css" else "")
    ext = ext.lower()
    if wanted and not (ext == wanted or (wanted == ".jpg" and ext in (".jpeg", ".jpe"))):
        ext = wanted
    ext = _UNSAFE_NAME.sub("", ext)[:10]
    name = f"{stem}{ext}"
    n = 2
    while name.lower() in taken:
        name = f"{stem}-{n}{ext}"
        n += 1
    taken.add(name.lower())
    return name


def _image_type(data: bytes) -> str | None:
    """The image's MIME type if Pillow decodes it completely, else None."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            kind = img.format
            img.load()
    except Exception:
        return None
    return _PIL_TYPES.get(kind or "")


def capture_page(
    url: str,
    folder: Path,
    limits: Limits,
    *,
    software: str,
    wacz: bool = True,
    sleep: Callable[[float], None] | None = None,
) -> Capture:
    """Capture ``url`` into ``folder`` (which must exist and be empty)."""
    import time

    url = check_url(url)
    (folder / "capture").mkdir()
    files_dir = folder / "article" / FILES_DIR
    files_dir.mkdir(parents=True)
    warc_path = folder / "capture" / WARC_NAME
    with WarcFile(warc_path) as warc:
        info = {
            "software": software,
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "http-header-user-agent": limits.user_agent,
            "robots": "obey" if limits.honour_robots else "ignore",
            "description": f"bagsmith capture of {url}",
            "bagsmith-delay-seconds": f"{limits.delay:g}",
            "bagsmith-timeout-seconds": f"{limits.timeout:g}",
            "bagsmith-max-resource-bytes": str(limits.max_resource_bytes),
            "bagsmith-max-capture-bytes": str(limits.max_capture_bytes),
            "bagsmith-max-redirects": str(limits.max_redirects),
        }
        warcinfo_id = warc.warcinfo(info)
        session = _Session(limits, warc, sleep or time.sleep)
        page_item = Fetched(url, "page")
        with session.follow(url, page_item, accept="text/html,application/xhtml+xml") as ex:
            if not 200 <= ex.status < 300:
                raise CaptureError(
                    f"the server answered {ex.status} {ex.reason}".rstrip(),
                    reason="http-status",
                    path=page_item.final_url,
                )
            if ex.content_type not in HTML_TYPES:
                raise CaptureError(
                    f"the answer is not an HTML page ({ex.content_type or 'no Content-Type'})",
                    reason="not-html",
                    path=page_item.final_url,
                )
            if ex.truncated:
                raise CaptureError(
                    "the server closed the connection before the page was complete",
                    reason="truncated",
                    path=page_item.final_url,
                )
            html = ex.read_body()
            charset = _charset(ex)
        final = page_item.final_url or url
        doc = pages.parse(html, charset)
        base = pages.base_url(doc, final)
        title_el = doc.find(".//title")
        title = " ".join((title_el.text_content() if title_el is not None else "").split())
        resources: list[Fetched] = []
        by_url: dict[str, Fetched] = {}
        taken: set[str] = set()

        def get(target: str, kind: str) -> Fetched:
            if target in by_url:
                return by_url[target]
            item = by_url[target] = Fetched(target, kind)
            resources.append(item)
            if not pages.http_url(target):
                item.error, item.reason = "not an http(s) address", "url"
                return item
            accept = "text/css,*/*;q=0.1" if kind == "stylesheet" else "image/*,*/*;q=0.8"
            try:
                with session.follow(target, item, accept=accept) as got:
                    _keep(item, got, files_dir, taken)
            except CaptureError as exc:
                if exc.reason == "capture-too-large":
                    raise
                item.error, item.reason = exc.message, exc.reason
            return item

        local: dict[int, str] = {}
        tried: dict[int, str] = {}
        for need in pages.images(doc, base):
            tried[need.index] = need.url
            item = get(need.url, "image")
            if item.file is not None:
                local[need.index] = f"{FILES_DIR}/{Path(item.file).name}"
        styles: dict[str, str] = {}
        for href in pages.stylesheets(doc, base):
            item = get(href, "stylesheet")
            if item.file is not None:
                styles[href] = f"{FILES_DIR}/{Path(item.file).name}"
        for image_url in pages.json_ld_images(doc, base):
            get(image_url, "image")
    article = folder / "article" / ARTICLE_NAME
    article.write_bytes(
        pages.rewrite(html, local, tried, styles, base, charset=charset, source_url=final)
    )
    if not any(files_dir.iterdir()):
        files_dir.rmdir()
    capture = Capture(
        url=url,
        final_url=final,
        status=page_item.status or 0,
        date=page_item.date or datetime.now().astimezone(),
        user_agent=limits.user_agent,
        robots="honoured" if limits.honour_robots else "ignored",
        folder=folder,
        article=article,
        warc=warc_path,
        wacz=None,
        warcinfo_id=warcinfo_id,
        title=title or None,
        page=page_item,
        resources=[*session.robots_files, *resources],
        limits=limits,
    )
    if wacz:
        from .wacz import build_wacz

        capture.wacz = build_wacz(capture, folder / "capture" / WACZ_NAME)
    return capture


def _keep(item: Fetched, ex: Exchange, files_dir: Path, taken: set[str]) -> None:
    """Keep a resource's body as a file when it is what the page asked for."""
    if not 200 <= ex.status < 300:
        item.error = f"the server answered {ex.status} {ex.reason}".rstrip()
        item.reason = "http-status"
        return
    if ex.truncated:
        item.error, item.reason = "the answer was cut short", "truncated"
        return
    data = ex.read_body()
    if item.kind == "image":
        kind = _image_type(data)
        if kind is None:
            item.error = f"not a complete image ({ex.content_type or 'no Content-Type'})"
            item.reason = "not-image"
            return
        name = _file_name(item.final_url or item.url, kind, taken)
    else:
        name = _file_name(item.final_url or item.url, "text/css", taken)
    (files_dir / name).write_bytes(data)
    item.file = f"article/{FILES_DIR}/{name}"
