"""``bagsmith capture``: a live web page → WARC/WACZ capture → one validated preservation bag."""

from __future__ import annotations

import re
from pathlib import Path

import click

from ..errors import ProfileError
from ..pipeline.capturing import DEFAULT_USER_AGENT, CaptureOptions, CaptureResult, capture_article
from ..pipeline.packaging import DEFAULT_PROFILE, PackageOptions, resolve_profile
from .common import Output, output_options, terminate_as_interrupt
from .options import (
    archive_format,
    bag_info,
    chosen_algorithms,
    chosen_processes,
    chosen_profile,
    created_option,
    output_option,
    parse_tag_files,
    profile_usage_error,
)
from .package_cmd import notes_summary, package_build_options

_UNITS = {"": 1, "B": 1, "K": 1000, "KB": 1000, "KIB": 1024, "M": 1000**2, "MB": 1000**2,
          "MIB": 1024**2, "G": 1000**3, "GB": 1000**3, "GIB": 1024**3}  # fmt: skip


class Size(click.ParamType):  # type: ignore[type-arg]
    """A byte count: ``5000000``, ``32MB``, ``32MiB``, ``1G``."""

    name = "SIZE"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", str(value))
        unit = match.group(2).upper() if match else ""
        if match is None or unit not in _UNITS:
            self.fail(f"{value!r} is not a size (e.g. 5000000, 32MB, 32MiB, 1GB)", param, ctx)
        size = int(float(match.group(1)) * _UNITS[unit])
        if size < 1:
            self.fail(f"{value!r} is not a positive size", param, ctx)
        return size


def render(out: Output, result: CaptureResult) -> None:
    if out.json_mode:
        out.emit_json(result.to_dict())
        return
    for w in result.package.warnings:
        out.warn(str(w))
    cap, pkg = result.capture, result.package
    images = [r for r in cap.resources if r.kind == "image"]
    lines = [
        f"Captured {cap.final_url} (HTTP {cap.status}, {cap.memento_datetime})"
        + (f", redirected from {cap.url}" if cap.final_url != cap.url else ""),
        f"  images captured: {sum(1 for r in images if r.file)}, failed: "
        f"{sum(1 for r in images if r.error)}; robots.txt {cap.robots}",
        f"Packaged {pkg.path}: {pkg.files} files, {pkg.bytes} bytes "
        f"(Payload-Oxum {pkg.payload_oxum})",
        f"  figures: {pkg.figures}; images matched: {pkg.images_matched}",
        f"  validation: {'VALID' if pkg.validation and pkg.validation.valid else 'INVALID'}",
        "  notes: " + notes_summary(pkg.note_counts()),
    ]
    if pkg.report:
        lines.append(f"  report: {pkg.report}")
    out.info("\n".join(lines))


@click.command()
@click.argument("url")
@output_option("DIR")
@click.option(
    "--user-agent",
    default=DEFAULT_USER_AGENT,
    show_default=True,
    help="User-Agent header of every request (name your archive and a contact).",
)
@click.option(
    "--delay",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Seconds between two requests to the same host.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds one resource may take (connecting, and its whole answer).",
)
@click.option(
    "--max-resource-size",
    type=Size(),
    default="32MiB",
    show_default=True,
    help="Largest answer for one resource; a larger page is refused, a larger image fails.",
)
@click.option(
    "--max-capture-size",
    type=Size(),
    default="512MiB",
    show_default=True,
    help="Largest total of all answers of the capture.",
)
@click.option(
    "--max-redirects",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Redirects per resource.",
)
@click.option(
    "--ignore-robots",
    is_flag=True,
    help="Do not consult robots.txt (recorded in the WARC and the capture record).",
)
@click.option(
    "--require-images",
    is_flag=True,
    help="Refuse (write nothing) when an image of the page cannot be captured.",
)
@click.option(
    "--render",
    "render_page",
    is_flag=True,
    help="Also keep a full-page screenshot (PNG) and a PDF of the captured page, made by "
    "headless Chromium (needs chromium installed).",
)
@package_build_options
@created_option()
@click.option(
    "--report",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Also write the HTML report of the finished package to FILE.",
)
@output_options
def capture(
    url: str,
    dest: Path,
    user_agent: str,
    delay: float,
    timeout: float,
    max_resource_size: int,
    max_capture_size: int,
    max_redirects: int,
    ignore_robots: bool,
    require_images: bool,
    render_page: bool,
    metadata: Path | None,
    profile: str | None,
    no_profile: bool,
    info: tuple[str, ...],
    info_file: Path | None,
    tag_files: tuple[str, ...],
    algorithms: tuple[str, ...],
    serialize: str | None,
    processes: int | None,
    created: str | None,
    report: Path | None,
    out: Output,
) -> None:
    """Capture the web page at URL (http or https) with its images and stylesheets, and
    package it as a validated BagIt bag at DIR.

    The capture is kept as a WARC (every request and response, redirects included) and a WACZ
    that replays in ReplayWeb.page and pywb; the page is packaged like a saved page, its
    figures paired with the captured images, and the METS/capture record say where, when and
    how it was captured (docs/capture.md). robots.txt is honoured unless --ignore-robots.

    Exit codes: 0 packaged; 1 the page cannot be captured (unknown host, no connection, an
    HTTP error, a redirect loop, not HTML, too large, too slow, robots.txt) or packaged;
    2 usage error or an existing DIR; 130 interrupted. Nothing is written at DIR on failure.
    """
    name = chosen_profile(profile, no_profile, DEFAULT_PROFILE)
    try:  # --profile names nothing usable: a usage error, exit 2 (a bag that fails it: exit 1)
        chosen = None if name is None else resolve_profile(name)
    except ProfileError as exc:
        raise profile_usage_error(name, exc) from exc
    capture_options = CaptureOptions(
        user_agent=user_agent,
        delay=delay,
        timeout=timeout,
        max_resource_bytes=max_resource_size,
        max_capture_bytes=max_capture_size,
        max_redirects=max_redirects,
        ignore_robots=ignore_robots,
        require_images=require_images,
        render=render_page,
    )
    options = PackageOptions(
        metadata=metadata,
        profile=chosen,
        info=bag_info(info, info_file, configured=True),
        algorithms=chosen_algorithms(algorithms),
        serialize=archive_format(serialize),
        processes=chosen_processes(processes),
        created=created,
        report=report,
        tag_files=parse_tag_files(tag_files),
    )
    with terminate_as_interrupt():
        result = capture_article(url, dest, capture_options, options, progress=out.progress)
    render(out, result)
