"""Use case ``parse``: an article (text or saved page), its images and sidecar → the record.

Reads only; writes nothing anywhere.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ..ingest import ParseResult, read_article
from ..ingest.formats import identifier, identify_all
from ..model import EMBEDDED_FIELDS, Article, ImageInfo
from ..problems import Problem

__all__ = ["ParseResult", "embedded_disagreements", "identifier", "parse_article"]


def _normal(text: str) -> str:
    """Case, dots and accents do not count (``Kovács P.`` is ``kovacs p``)."""
    folded = unicodedata.normalize("NFKD", text.casefold().replace(".", " "))
    return " ".join("".join(c for c in folded if not unicodedata.combining(c)).split())


def _names_agree(embedded: str, credit: str) -> bool:
    a, c = _normal(embedded), _normal(credit)
    return a in c or c in a


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def _captions_agree(embedded: str, page: str) -> bool:
    """Loosely: one caption's words are (for the most part, 60 %) the other's. Captions are
    shortened and re-worded between the photo agency and the page; only a caption about
    something else is reported."""
    a, b = _words(embedded), _words(page)
    if not a or not b:
        return True
    return len(a & b) >= 0.6 * min(len(a), len(b))


def _date_agrees(embedded: str, edtf: str) -> bool:
    """Whether an embedded date (``1956-10-23T12:00:00``, ``1956-10``, ``1956``) falls within
    what the caption's EDTF date says (qualifiers and unspecified digits are read loosely:
    ``1956-11~`` as November 1956, ``195X`` as the 1950s)."""
    day = embedded[:10]
    ends = [part.strip("~?%").split("X", 1)[0].rstrip("-") for part in edtf.split("/")]
    if len(ends) == 2:
        first, last = ends
        return (not first or day[: len(first)] >= first[: len(day)]) and (
            not last or day[: len(last)] <= last
        )
    value = ends[0]
    return not value or day.startswith(value) or value.startswith(day)


def _field(fact: str, source: str) -> str:
    key = "artist" if (source, fact) == ("EXIF", "creator") else fact
    return f"{source} {EMBEDDED_FIELDS.get((source, key), key)}"


def embedded_disagreements(article: Article) -> list[Problem]:
    """``image-metadata-disagrees`` for each figure whose image's embedded metadata (EXIF, XMP,
    IPTC-IIM: ``ImageInfo.embedded``) contradicts the page: a creator or credit line that is
    not the caption's credit, a date outside the caption's date, a caption about something
    else."""
    out: list[Problem] = []
    for figure in article.figures:
        info = figure.image
        if info is None:
            continue
        facts = info.embedded()
        if not facts:
            continue
        label = f"figure {figure.number}" if figure.number is not None else "a figure"

        def warn(message: str, image: ImageInfo = info, where: str = label) -> None:
            out.append(Problem("image-metadata-disagrees", f"{where}: {message}", image.path))

        names = [fact for fact in ("creator", "credit") if fact in facts]
        credit = figure.credit
        if credit and names and not any(_names_agree(facts[f][0], credit) for f in names):
            said = ", ".join(f"{facts[f][0]!r} ({_field(f, facts[f][1])})" for f in names)
            warn(f"the image names {said}, the caption credits {credit!r}")
        if "date" in facts and figure.date:
            when, source = facts["date"]
            if re.match(r"\d{4}", when) and not _date_agrees(when, figure.date):
                warn(
                    f"the image says it was taken {when} ({_field('date', source)}), "
                    f"the caption dates it {figure.date}"
                )
        if "caption" in facts and (figure.caption or figure.description):
            text, source = facts["caption"]
            page = " ".join(p for p in (figure.caption, figure.description) if p)
            if not _captions_agree(text, page):
                warn(
                    f"the image's caption ({_field('caption', source)}) is "
                    f"{_short(text)!r}, the page's is {_short(page)!r}"
                )
    return out


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_article(
    article: str | Path,
    *,
    images: str | Path | None = None,
    metadata: str | Path | None = None,
    allow_broken_images: bool = False,
    identify_formats: bool = True,
) -> ParseResult:
    """The article record with every problem found (warnings inside the record).

    With ``identify_formats`` every image is identified against PRONOM (fido) and an image
    whose contents disagree with its extension is reported (``format-extension-mismatch``).

    Raises :class:`~bagsmith.errors.InputError` (unreadable article, broken images unless
    ``allow_broken_images``) or :class:`~bagsmith.errors.MetadataError` (invalid sidecar).
    """
    result = read_article(
        article, images_dir=images, metadata=metadata, allow_broken_images=allow_broken_images
    )
    result.report.extend(embedded_disagreements(result.article))
    if identify_formats and result.images:
        _, problems = identify_all(
            (info.path, Path(info.path), info.mime_type) for info in result.images
        )
        result.report.extend(problems)
    return result
