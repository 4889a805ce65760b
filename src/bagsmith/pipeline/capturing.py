"""Use case ``capture``: a live web page → its WARC/WACZ capture → one validated package.

Steps (docs/capture.md): check the URL and the destination before any request; capture the
page, its images and stylesheets into a private working folder (capture/session.py); refuse
when the page cannot be captured, or when ``require_images`` and an image failed; optionally
render the captured page with headless Chromium; write ``capture.json``; then package the
captured page as a saved page (``package_article``) with the ``capture/`` folder added at
``data/capture/`` (METS USE ``capture``) and the renderings at ``data/renderings/`` (USE
``access``). The working folder is always removed; a failure at any step leaves nothing
at the destination.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__, xmlschemas
from ..bagit import destination
from ..capture import Capture, Limits, capture_page, check_url
from ..errors import BagsmithError, CaptureError, UsageError
from ..metadata.mets import PackageEvent
from ..problems import Problem
from .bagging import bag_software_agent
from .packaging import PackageOptions, PackageResult, package_article
from .progress import ProgressFactory

CAPTURE_DIR = "data/capture"
RENDERINGS_DIR = "data/renderings"
CAPTURE_RECORD = "capture.json"
ARTICLE_PATH = "data/article/article.html"
DEFAULT_USER_AGENT = f"bagsmith/{__version__} (web archiving; preservation capture)"


@dataclass(frozen=True)
class CaptureOptions:
    user_agent: str = DEFAULT_USER_AGENT
    delay: float = 1.0  # seconds between requests to one host
    timeout: float = 30.0  # seconds per resource
    max_resource_bytes: int = 32 * 1024 * 1024
    max_capture_bytes: int = 512 * 1024 * 1024
    max_redirects: int = 10
    ignore_robots: bool = False
    require_images: bool = False
    render: bool = False  # full-page PNG and PDF with headless Chromium
    wacz: bool = True

    def limits(self) -> Limits:
        if not self.user_agent.strip() or any(c in self.user_agent for c in "\r\n"):
            raise UsageError("the user agent must be one non-empty line", parameter="user_agent")
        if self.delay < 0 or self.timeout <= 0:
            raise UsageError("{delay} must be >= 0 and {timeout} > 0")
        if self.max_resource_bytes < 1 or self.max_capture_bytes < 1 or self.max_redirects < 0:
            raise UsageError("size limits must be positive and {max_redirects} >= 0")
        return Limits(
            user_agent=self.user_agent.strip(),
            delay=self.delay,
            timeout=self.timeout,
            max_resource_bytes=self.max_resource_bytes,
            max_capture_bytes=self.max_capture_bytes,
            max_redirects=self.max_redirects,
            honour_robots=not self.ignore_robots,
        )


@dataclass
class CaptureResult:
    capture: Capture
    package: PackageResult

    def to_dict(self) -> dict[str, Any]:
        return {"capture": self.capture.to_dict(), **self.package.to_dict()}


def _notes(capture: Capture) -> list[Problem]:
    notes = []
    if capture.robots == "ignored":
        notes.append(
            Problem("capture-robots-ignored", "robots.txt was not consulted", capture.final_url)
        )
    for failed in capture.failures:
        code = "capture-image-failed" if failed.kind == "image" else "capture-resource-failed"
        notes.append(Problem(code, f"{failed.kind} not captured: {failed.error}", failed.url))
    return notes


def _when(moment: datetime | None, capture: Capture) -> str:
    return (moment or capture.date).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _events(capture: Capture, bag_paths: dict[str, str]) -> list[PackageEvent]:
    """PREMIS ``capture`` events (bagsmith the executing program): one for each file that came
    from a WARC record, naming that record, and one for the WARC, the WACZ and the record."""
    warc = f"{CAPTURE_DIR}/{capture.warc.name}"
    how = f"HTTP GET by bagsmith, User-Agent {capture.user_agent!r}, robots.txt {capture.robots}"
    events = []
    for item in [capture.page, *capture.resources]:
        written = item.record
        if written is None:
            continue
        path = bag_paths.get(item.file or "") if item.kind != "page" else ARTICLE_PATH
        if path is None:
            continue
        what = (
            "the page's payload as a saved page (image and stylesheet references made local, "
            "UTF-8); the bytes as served are the record's payload"
            if item.kind == "page"
            else "this file is the record's payload"
        )
        events.append(
            PackageEvent(
                "capture",
                _when(item.date, capture),
                f"{how}; {item.final_url} (HTTP {item.status}) captured into {warc}",
                note=(
                    f"WARC-Record-ID={written.response_id}; WARC-Target-URI={item.final_url}; "
                    f"WARC-Payload-Digest={written.payload_digest}; warc={warc}; "
                    f"offset={written.offset}; {what}"
                ),
                paths=frozenset({path}),
                agents=("software",),
            )
        )
    failed = "; ".join(f"{f.url}: {f.error}" for f in capture.failures)
    whole = {warc, f"{CAPTURE_DIR}/{CAPTURE_RECORD}"}
    if capture.wacz is not None:
        whole.add(f"{CAPTURE_DIR}/{capture.wacz.name}")
    events.append(
        PackageEvent(
            "capture",
            _when(capture.date, capture),
            f"{how}; {capture.url} captured (final URL {capture.final_url}, HTTP "
            f"{capture.status}) with its images and stylesheets",
            note=f"warcinfo WARC-Record-ID={capture.warcinfo_id}"
            + (f"; not captured: {failed}" if failed else ""),
            paths=frozenset(whole),
            agents=("software",),
        )
    )
    return events


def _record(capture: Capture, bag_paths: dict[str, str]) -> bytes:
    """``capture.json``: the capture record, file paths as the bag holds them."""
    data = capture.to_dict()
    for item in [data["page"], *data["resources"]]:
        if item.get("file"):
            item["file"] = bag_paths.get(item["file"], item["file"])
    data["warc"] = f"{CAPTURE_DIR}/{capture.warc.name}"
    data["wacz"] = f"{CAPTURE_DIR}/{capture.wacz.name}" if capture.wacz else None
    data["renderings"] = [
        {"file": f"{RENDERINGS_DIR}/{path.name}", "mime_type": mime}
        for path, mime in capture.renderings
    ]
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _in_bag(path: str | None, work: Path) -> str | None:
    """A path in the working folder as the bag names it (``data/article/article.html``)."""
    if path is None or not Path(path).is_relative_to(work):
        return path
    return f"data/{Path(path).relative_to(work).as_posix()}"


def _moved(problem: Problem, work: Path) -> Problem:
    path = _in_bag(problem.path, work)
    return problem if path == problem.path else dataclasses.replace(problem, path=path)


def capture_article(
    url: str,
    output: Path,
    capture_options: CaptureOptions | None = None,
    package_options: PackageOptions | None = None,
    *,
    progress: ProgressFactory | None = None,
) -> CaptureResult:
    """Capture ``url`` and package it at ``output``. See the module docstring."""
    capture_options = capture_options or CaptureOptions()
    options = package_options or PackageOptions()
    if options.images is not None:
        raise UsageError("a capture packages the images it captured; {images} does not apply")
    limits = capture_options.limits()
    try:
        url = check_url(url)
    except CaptureError as exc:  # the URL as given: a usage error, before any request
        raise UsageError(exc.template, hint=exc.hint_template) from None
    if capture_options.render:
        from ..capture.render import find_browser

        if find_browser() is None:
            raise UsageError(
                "rendering the page ({render}) needs Chromium, and no chromium is installed",
                hint="install Debian's chromium package, or leave out {render}",
            )
    destination.resolve(Path(output), options.serialize)  # refuse an existing output first
    xmlschemas.validator(options.schema_dir)  # the schemas the package needs, before any request
    work = Path(tempfile.mkdtemp(prefix="bagsmith-capture-")).resolve()
    try:
        capture = capture_page(
            url, work, limits, software=bag_software_agent(), wacz=capture_options.wacz
        )
        failed_images = [f for f in capture.failures if f.kind == "image"]
        if capture_options.require_images and failed_images:
            listing = "; ".join(f"{f.url}: {f.error}" for f in failed_images)
            raise CaptureError(
                f"{len(failed_images)} image(s) could not be captured: {listing}",
                reason="images",
                path=capture.final_url,
                hint="leave out {require_images} to package the page without them",
            )
        if capture_options.render:
            from ..capture.render import render_page

            (work / "renderings").mkdir()
            capture.renderings = render_page(capture.article, work / "renderings", limits.timeout)
        bag_paths = {r.file: f"data/{r.file}" for r in [capture.page, *capture.resources] if r.file}
        (work / "capture" / CAPTURE_RECORD).write_bytes(_record(capture, bag_paths))
        options = dataclasses.replace(
            options,
            extra_payload=(
                *options.extra_payload,
                (work / "capture", CAPTURE_DIR, "capture"),
                *([(work / "renderings", RENDERINGS_DIR, "access")] if capture.renderings else []),
            ),
            notes=(*options.notes, *_notes(capture)),
            events=(*options.events, *_events(capture, bag_paths)),
            record_defaults=(
                *options.record_defaults,
                ("source_url", capture.final_url),
                ("date_captured", capture.date.strftime("%Y-%m-%dT%H:%M:%SZ")),
            ),
        )
        try:
            result = package_article(capture.article, output, options, progress=progress)
        except BagsmithError as exc:
            exc.path = _in_bag(exc.path, work)
            exc.problems = [_moved(p, work) for p in exc.problems]
            raise
        result.warnings = [_moved(p, work) for p in result.warnings]
        capture.folder = Path(result.path)
        return CaptureResult(capture, result)
    finally:
        shutil.rmtree(work, ignore_errors=True)


__all__ = ["CaptureOptions", "CaptureResult", "capture_article"]
