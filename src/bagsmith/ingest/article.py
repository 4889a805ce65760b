"""Read an article (plain text or a saved HTML page), its images and its sidecar metadata into
one :class:`~bagsmith.model.Article` record — the single entry point of the ingest subsystem."""

from __future__ import annotations

import dataclasses
import itertools
import os
import stat
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import limits
from ..errors import InputError
from ..model import Article, Figure, ImageInfo, Section, evolve
from ..problems import Problem, Report, Severity
from ..resources import canonical_rights_uri
from .assemble import Assembled, RawFigure
from .captions import analyse
from .content import (
    NOT_TEXT,
    garbled_share,
    refuse_non_text,
    scrub_bytes,
    scrub_lines,
    scrub_record,
)
from .dates import coverage
from .htmlmeta import PageMeta
from .images import characterise, entry_is, is_image_name, listing, number_in_name
from .sidecar import RIGHTS_FIELDS, Sidecar, load_sidecar
from .text import parse_text

MAX_TEXT_BYTES = 16 * 1024 * 1024
HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")
TEXT_SUFFIXES = (".txt", ".text", ".md")
SIDECAR_NAMES = ("metadata.yaml", "metadata.yml", "metadata.json")


@dataclass(frozen=True)
class ParseResult:
    """The article record, every problem found, and every image looked at."""

    article: Article
    report: Report
    images: tuple[ImageInfo, ...]
    unmatched_images: tuple[str, ...]
    sidecar: str | None = None
    # per figure of ``article.figures`` (HTML pages): the absolute address of its image, when
    # the page's address was given (``base_url``) or the page names its images by absolute URL
    image_urls: tuple[str | None, ...] = ()

    def record(self) -> dict[str, Any]:
        return self.article.to_dict()


def _article_file(path: Path) -> Path:
    if path.is_file():
        return path
    if path.is_dir():
        raise InputError(
            "this is a folder; give the article file itself",
            path=path,
            hint=_folder_hint(path),
        )
    raise InputError("no such file or folder", path=path)


def _folder_hint(folder: Path) -> str:
    """Name the likely article file and the options for the folder's images and sidecar."""
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        entries = []
    files = [p for p in entries if p.is_file() and not p.name.startswith(".")]
    articles = [p for p in files if p.suffix.lower() in (*HTML_SUFFIXES, *TEXT_SUFFIXES)]
    parts = []
    if len(articles) == 1:
        parts.append(f"the article is probably {articles[0]}")
    elif articles:
        parts.append("one of " + ", ".join(p.name for p in articles[:5]))
    else:
        parts.append("no .txt or .html file is in it")
    images = folder / "images"
    sidecars = [p for p in files if p.name.lower() in SIDECAR_NAMES]
    parts.append(
        f"give images with {{images={images}}}"
        if images.is_dir()
        else "give an images folder with {images=DIR}"
    )
    parts.append(
        f"the sidecar with {{metadata={sidecars[0]}}}"
        if sidecars
        else "a sidecar with {metadata=FILE}"
    )
    return "; ".join(parts)


def _is_html(path: Path, data: bytes) -> bool:
    if path.suffix.lower() in HTML_SUFFIXES:
        return True
    if path.suffix.lower() in TEXT_SUFFIXES:
        return False
    head = data[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"\xef\xbb\xbf<!doctype html"))


def _decode(data: bytes, where: str, report: Report) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its byte order mark
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.add("text-encoding-guessed", "not UTF-8; read as Windows-1252", where)
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def _figures(raw: list[RawFigure], report: Report, where: str) -> list[Figure]:
    figures: list[Figure] = []
    top = limits.get("figures")
    if len(raw) > top:
        report.add(
            "figures-too-many",
            f"{len(raw)} figures, over the figures limit of {top}; only the first {top} were "
            "read (the limit can be raised)",
            where,
        )
        raw = raw[:top]
    for fig in raw:
        facts = analyse(fig.caption, " ".join(fig.description) or None)
        if facts.date_ambiguous:
            report.add(
                "figure-date-ambiguous",
                f"figure {fig.number}: the caption states several dates; none was chosen",
                where,
                fig.line,
            )
        if fig.number is not None and not facts.caption:
            report.add(
                "figure-caption-empty", f"figure {fig.number} has no caption", where, fig.line
            )
        figures.append(
            Figure(
                number=fig.number,
                caption=facts.caption,
                description=facts.description,
                date=facts.date,
                places=facts.places,
                credit=fig.credit or facts.credit,
                places_standard=facts.places_standard,
                section=fig.section,
            )
        )
    _numbering(raw, report, where)
    return figures


def _numbering(raw: list[RawFigure], report: Report, where: str) -> None:
    numbers = [f.number for f in raw if f.number is not None]
    if not numbers:
        return
    for number, count in Counter(numbers).items():
        if count > 1:
            line = next(f.line for f in raw if f.number == number)
            report.add(
                "figure-number-repeated", f"figure {number} appears {count} times", where, line
            )
    if any(b < a for a, b in itertools.pairwise(numbers)):
        report.add("figure-numbers-out-of-order", "figure numbers do not increase", where)
    low, high = min(numbers), max(numbers)
    missing = sorted(set(range(max(low, 1), high + 1)) - set(numbers))
    if missing:
        report.add(
            "figure-numbers-missing",
            f"{len(set(numbers))} figures numbered {low}–{high}; no figure "
            + ", ".join(map(str, missing))
            + " (not invented)",
            where,
        )


def _apply_sidecar(
    article: dict[str, Any], figures: list[Figure], images: dict[int, Path], sidecar: Sidecar,
    report: Report,
) -> None:  # fmt: skip
    for key, value in sidecar.fields.items():
        article[key] = tuple(value) if isinstance(value, list) else value
    for fig in sidecar.figures:
        given = fig.fields
        index = None
        if given.get("number") is not None:
            index = next((i for i, f in enumerate(figures) if f.number == given["number"]), None)
        elif fig.image_path is not None:
            index = next((i for i, p in images.items() if p.name == fig.image_path.name), None)
        if index is None:
            figures.append(Figure(number=given.get("number"), caption=given.get("caption") or ""))
            index = len(figures) - 1
            report.add(
                "sidecar-figure-added",
                f"figure {given.get('number') or fig.image_path}: described only in the sidecar",
                sidecar.path,
                fig.line,
            )
        changes: dict[str, Any] = {}
        for key in ("caption", "description", "date", "credit", *RIGHTS_FIELDS):
            if key in given:
                changes[key] = given[key] if key != "caption" else (given[key] or "")
        if isinstance(changes.get("rights_uri"), str):
            changes["rights_uri"] = canonical_rights_uri(changes["rights_uri"])
        if "places" in given:
            changes["places"] = tuple(given["places"])
            changes["places_standard"] = ()
        figures[index] = dataclasses.replace(figures[index], **changes)
        if fig.image_path is not None:
            images[index] = fig.image_path


def _match_images(
    figures: list[Figure], images: dict[int, Path], images_dir: Path, report: Report
) -> list[Path]:
    """Pair files of ``images_dir`` with figures by the number in their names; the rest are
    reported as unmatched, never guessed."""
    taken = {os.path.realpath(p) for p in images.values()}  # (the sidecar's images)
    by_number: dict[int, list[Path]] = {}
    unmatched: list[Path] = []
    for path, entry in listing(images_dir):
        if path.name.startswith(".") or entry_is(entry, "dir"):
            continue
        if taken and os.path.realpath(path) in taken:
            continue
        if not entry_is(entry, "file"):  # a FIFO, socket or device: named, never opened
            what = _special_kind(path)
            report.add("image-file-skipped", f"not a regular file ({what}); skipped", str(path))
            continue
        if not is_image_name(path):
            report.add("image-file-skipped", "not an image file name; skipped", str(path))
            continue
        number = number_in_name(path)
        if number is None:
            unmatched.append(path)
        else:
            by_number.setdefault(number, []).append(path)
    for number, paths in sorted(by_number.items()):
        index = next((i for i, f in enumerate(figures) if f.number == number), None)
        if len(paths) > 1:
            names = ", ".join(p.name for p in paths)
            for path in paths:
                report.add("image-match-ambiguous", f"{names} all carry number {number}", str(path))
            unmatched.extend(paths)
        elif index is None or index in images:
            unmatched.append(paths[0])
        else:
            images[index] = paths[0]
    for path in unmatched:
        report.add("image-unmatched", "matches no figure; left unpaired", str(path))
    return unmatched


def _special_kind(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def read_article(
    path: str | Path,
    images_dir: str | Path | None = None,
    metadata: str | Path | None = None,
    allow_broken_images: bool = False,
    base_url: str | None = None,
) -> ParseResult:
    """Parse an article file, match its images, apply the sidecar.

    ``base_url`` is the address the page was captured from (HTML only): relative and
    lazy-loaded image addresses are resolved against it (``ParseResult.image_urls``) and it
    is the record's ``source_url`` when the page names none.

    Raises :class:`InputError` for unreadable input, a folder, an empty or binary file, or
    broken images (unless ``allow_broken_images``) and :class:`MetadataError` for an invalid
    sidecar.
    """
    source = _article_file(Path(path))
    where = str(source)
    img_dir = Path(images_dir) if images_dir is not None else None
    if img_dir is not None and not img_dir.is_dir():
        raise InputError("the images folder does not exist", path=img_dir)
    sidecar = load_sidecar(Path(metadata), img_dir) if metadata is not None else None
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the article: {exc.strerror or exc}", path=source) from None
    report = Report(where)
    meta = PageMeta()
    refuse_non_text(data, source)
    image_urls: list[str | None] = []
    if _is_html(source, data):
        from .html import parse_html  # lxml and the extractors: only for pages

        page = parse_html(scrub_bytes(data, report, where), source, report, base_url)
        assembled, meta, fmt = page.assembled, page.meta, "html"
        image_urls = page.image_urls
        if meta.source_url is None and base_url:
            meta.source_url = base_url
    else:
        if len(data) > MAX_TEXT_BYTES:
            raise InputError(f"larger than {MAX_TEXT_BYTES} bytes; not an article", path=source)
        text = _decode(data, where, report)
        garbled = garbled_share(text)
        if garbled is not None:
            raise InputError(NOT_TEXT, path=source, hint=garbled)
        assembled, fmt = parse_text(scrub_lines(text, report, where), report, where), "text"
        meta.title, meta.creators = assembled.title, list(assembled.creators)
        meta.date_published = assembled.date_published
    if not (meta.title or assembled.title or assembled.figures or any(
        paragraphs for _, paragraphs in assembled.sections
    )):  # fmt: skip
        raise InputError(
            "the article is empty",
            path=source,
            hint="no title, paragraph or figure caption was found (only white space or site "
            "clutter)",
        )
    scrub_record(meta, assembled, report, where)
    figures = _figures(assembled.figures, report, where)
    images: dict[int, Path] = {}
    for i, raw in enumerate(assembled.figures):
        found = next((Path(r.file) for r in raw.images if r.file), None)
        if found is not None:
            images[i] = found
    fields = _fields(meta, assembled)
    if sidecar is not None:
        _apply_sidecar(fields, figures, images, sidecar, report)
    unmatched = _match_images(figures, images, img_dir, report) if img_dir else []
    infos = _characterise(figures, images, unmatched, report, allow_broken_images)
    if not fields.get("title"):
        report.add("title-missing", "no title found; give one in the sidecar", where)
        fields["title"] = ""
    if (img_dir or fmt == "html") and figures:
        lacking = [f.number for i, f in enumerate(figures) if i not in images]
        if lacking:
            numbers = [str(n) for n in lacking if n is not None]
            unnumbered = len(lacking) - len(numbers)
            parts = [f"figure(s) {', '.join(numbers)}"] if numbers else []
            parts += [f"{unnumbered} unnumbered figure(s)"] if unnumbered else []
            report.add("figure-image-missing", "no image file for " + " and ".join(parts), where)
    article = Article(
        **fields,
        sections=tuple(Section(h, tuple(p)) for h, p in assembled.sections),
        figures=tuple(figures),
        source_path=where,
        source_format=fmt,
        warnings=tuple(str(p) for p in report),
        coverage=coverage([f.date for f in figures if f.date]),
    )
    return ParseResult(
        article,
        report,
        tuple(infos),
        tuple(str(p) for p in unmatched),
        sidecar.path if sidecar else None,
        tuple(image_urls[: len(assembled.figures)]),
    )


def _fields(meta: PageMeta, assembled: Assembled) -> dict[str, Any]:
    return {
        "title": meta.title or assembled.title or "",
        "creators": tuple(meta.creators),
        "date_published": meta.date_published,
        "source_url": meta.source_url,
        "language": meta.language,
        "publisher": meta.publisher,
        "subjects": tuple(meta.subjects),
    }


def _characterise(
    figures: list[Figure], images: dict[int, Path], unmatched: list[Path], report: Report,
    allow_broken: bool,
) -> list[ImageInfo]:  # fmt: skip
    infos: list[ImageInfo] = []
    broken: list[Problem] = []
    done: dict[Path, ImageInfo | None] = {}
    for path in [*images.values(), *unmatched]:
        if path in done:
            continue
        checked = characterise(path)
        done[path] = checked.info
        report.extend(checked.problems)
        broken.extend(p for p in checked.problems if p.level is Severity.ERROR)
        if checked.info is not None:
            infos.append(checked.info)
    if broken and not allow_broken:
        first = broken[0]
        raise InputError(
            f"{len(broken)} broken image(s):\n"
            + "\n".join(f"  {p}" for p in broken[:20])
            + (f"\n  … and {len(broken) - 20} more" if len(broken) > 20 else ""),
            path=first.path,
            hint="fix or remove the file(s), or pass {allow_broken_images} to go on without them",
            problems=broken,
        )
    for index, path in images.items():
        figures[index] = evolve(figures[index], image=done.get(path))
    return infos
