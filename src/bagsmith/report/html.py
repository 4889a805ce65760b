"""Render a :class:`~.model.ReportInput` as one self-contained HTML page.

Jinja2 with autoescaping on: every value from the bag (tag values, file names, captions, the
article's text) is HTML-escaped, attributes included. The page loads nothing: its CSS is inline,
its images are ``data:`` URIs, it has no script, and a Content-Security-Policy forbids anything
else (``default-src 'none'; img-src data:; style-src 'unsafe-inline'``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from .model import FileRow, ReportInput, Thumb

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
_DATA_URI = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/]*={0,2}")
_LANG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
SEVERITY_LABEL = {"error": "Error", "warning": "Warning", "info": "Info"}
SEVERITY_MARK = {"error": "✖", "warning": "▲", "info": "ℹ"}
_EXIF_LABELS = {
    "date": "date taken",
    "make": "camera make",
    "model": "camera model",
    "artist": "artist",
    "copyright": "copyright",
    "caption": "description",
    "latitude": "GPS latitude",
    "longitude": "GPS longitude",
    "creator": "creator",
    "credit": "credit line",
}


@dataclass(frozen=True)
class FigureView:
    anchor: str
    label: str  # "Figure 7" / "Unnumbered figure"
    number: int | None
    caption: str
    alt: str
    description: str | None
    date: str | None
    places: list[str]
    places_standard: list[str]
    credit: str | None
    image_path: str | None
    thumb: Thumb | None
    technical: list[tuple[str, str]]
    image_problems: list[str]


@dataclass(frozen=True)
class FileView:
    row: FileRow
    thumb: Thumb | None
    figure: FigureView | None


def size_text(size: int | None) -> str:
    """1234567 → "1.2 MB (1,234,567 bytes)"; decimal units as file managers show them."""
    if size is None:
        return "unknown"
    value = float(size)
    for unit in ("bytes", "kB", "MB", "GB", "TB", "PB"):
        if value < 1000 or unit == "PB":
            break
        value /= 1000
    if unit == "bytes":
        return f"{size:,} bytes"
    return f"{value:.1f} {unit} ({size:,} bytes)"


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else plural or word + 's'}"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("bagsmith.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["size"] = size_text
    env.filters["plural"] = _plural
    return env


def _safe_thumb(thumb: Thumb | None) -> Thumb | None:
    """Only real image data URIs are ever put in an ``src`` (never a URL that loads)."""
    if thumb is None or not _DATA_URI.fullmatch(thumb.uri):
        return None
    return thumb


def _technical(image: dict[str, Any]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = [("File", str(image.get("path", "")))]
    rows.append(("Format", f"{image.get('format', '')} ({image.get('mime_type', '')})"))
    rows.append(("Dimensions", f"{image.get('width', '?')} × {image.get('height', '?')} pixels"))
    rows.append(("Colour mode", str(image.get("mode", ""))))
    bits = image.get("bits_per_sample") or []
    rows.append(("Bits per sample", ", ".join(str(b) for b in bits) or "unknown"))
    rows.append(("ICC profile", str(image.get("icc_profile") or "none")))
    dpi = image.get("dpi")
    rows.append(("Resolution", f"{dpi[0]:g} × {dpi[1]:g} dpi" if dpi else "not recorded"))
    for source, label in (("exif", "EXIF"), ("iptc", "IPTC"), ("xmp", "XMP")):
        for key, value in (image.get(source) or {}).items():
            rows.append((f"{label} {_EXIF_LABELS.get(key, key)}", str(value)))
    if image.get("size") is not None:
        rows.append(("Size", size_text(int(image["size"]))))
    rows.append(("SHA-256", str(image.get("sha256", ""))))
    return rows


def _figures(article: dict[str, Any] | None, thumbs: dict[str, Thumb]) -> list[FigureView]:
    if article is None:
        return []
    out: list[FigureView] = []
    for index, fig in enumerate(article.get("figures") or [], start=1):
        number = fig.get("number")
        label = f"Figure {number}" if number is not None else f"Unnumbered figure ({index})"
        caption = str(fig.get("caption") or "")
        image = fig.get("image") or None
        path = str(image["path"]) if image and image.get("path") else None
        out.append(
            FigureView(
                anchor=f"fig-{index}",
                label=label,
                number=number,
                caption=caption,
                alt=caption.strip() or f"{label} (no caption)",
                description=fig.get("description"),
                date=fig.get("date"),
                places=list(fig.get("places") or []),
                places_standard=[
                    p
                    for p in fig.get("places_standard") or []
                    if p not in (fig.get("places") or [])
                ],
                credit=fig.get("credit"),
                image_path=path,
                thumb=_safe_thumb(thumbs.get(path)) if path else None,
                technical=_technical(image) if image else [],
                image_problems=list(image.get("problems") or []) if image else [],
            )
        )
    return out


def _identity(data: ReportInput) -> list[tuple[str, str]]:
    info = {label.lower(): value for label, value in reversed(data.bag_info)}
    files, octets = data.payload_total
    rows = [
        ("Location", data.location),
        (
            "Format",
            "folder" if data.bag_format == "folder" else f"serialised bag ({data.bag_format})",
        ),
        ("BagIt version", data.bagit_version or "not declared"),
        ("Tag file encoding", data.tag_encoding or "not declared"),
        ("Profile", info.get("bagit-profile-identifier", "none declared")),
        ("Payload-Oxum (declared)", info.get("payload-oxum", "not declared")),
        ("Payload (found)", f"{_plural(files, 'file')}, {size_text(octets)}"),
        ("Payload manifests", ", ".join(data.payload_algorithms) or "none"),
        ("Tag manifests", ", ".join(data.tag_algorithms) or "none"),
    ]
    if "bag-size" in info:
        rows.insert(7, ("Bag-Size (declared)", info["bag-size"]))
    return rows


def _validation(validation: dict[str, Any] | None) -> dict[str, Any] | None:
    """Verdict, mode and counts; the problems with every field present, errors first."""
    if validation is None:
        return None
    problems = [
        {
            "severity": str(p.get("severity") or "error"),
            "code": str(p.get("code") or ""),
            "path": p.get("path"),
            "line": p.get("line"),
            "message": str(p.get("message") or ""),
        }
        for p in validation.get("problems") or []
    ]
    problems.sort(key=lambda p: _SEVERITY_ORDER.get(p["severity"], 3))
    counts = {k: sum(p["severity"] == k for p in problems) for k in _SEVERITY_ORDER}
    return {
        "valid": bool(validation.get("valid", counts["error"] == 0)),
        "mode": str(validation.get("mode") or "full"),
        "counts": counts,
        "problems": problems,
    }


_ARTICLE_DEFAULTS: dict[str, Any] = {
    "title": "",
    "creators": [],
    "date_published": None,
    "date_captured": None,
    "source_url": None,
    "publisher": None,
    "language": None,
    "rights": None,
    "subjects": [],
    "identifiers": [],
    "sections": [],
    "figures": [],
    "source_path": None,
    "source_format": None,
    "warnings": [],
    "coverage": None,
}


def _article(article: dict[str, Any] | None) -> dict[str, Any] | None:
    """The record with every optional field present (the template reads them all)."""
    if article is None:
        return None
    out = {**_ARTICLE_DEFAULTS, **article}
    out["sections"] = [
        {"heading": s.get("heading"), "paragraphs": list(s.get("paragraphs") or [])}
        for s in out["sections"] or []
    ]
    return out


def _safe_link(url: str | None) -> str | None:
    if url and re.match(r"https?://", url, re.IGNORECASE):
        return url
    return None


def render_html(data: ReportInput) -> str:
    """The whole page as text (UTF-8 when written)."""
    thumbs = data.thumbnails
    figures = _figures(data.article, thumbs)
    by_path = {f.image_path: f for f in figures if f.image_path}
    files = [
        FileView(row, _safe_thumb(thumbs.get(row.path)), by_path.get(row.path))
        for row in data.payload
    ]
    article = _article(data.article)
    language = str(article.get("language") or "") if article else ""
    template = _environment().get_template("report.html.j2")
    return template.render(
        data=data,
        csp=CSP,
        identity=_identity(data),
        article=article,
        article_lang=language if _LANG.fullmatch(language) else None,
        source_link=_safe_link(article.get("source_url")) if article else None,
        figures=figures,
        files=files,
        validation=_validation(data.validation),
        severity_label=SEVERITY_LABEL,
        severity_mark=SEVERITY_MARK,
    )
