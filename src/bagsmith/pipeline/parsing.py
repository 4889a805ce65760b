"""Use case ``parse``: an article (text or saved page), its images and sidecar → the record.

Reads only; writes nothing anywhere.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..ingest import ParseResult, read_article
from ..ingest.formats import identifier, identify_all
from ..model import Article
from ..problems import Problem

__all__ = ["ParseResult", "embedded_disagreements", "identifier", "parse_article"]


def _normal(text: str) -> str:
    return " ".join(text.casefold().replace(".", " ").split())


def _date_agrees(embedded: str, edtf: str) -> bool:
    """Whether an EXIF date-time falls within what the caption's EDTF date says (qualifiers
    and unspecified digits are read loosely: ``1956-11~`` as November 1956, ``195X`` as the
    1950s)."""
    day = embedded[:10]
    ends = [part.strip("~?%").split("X", 1)[0].rstrip("-") for part in edtf.split("/")]
    if len(ends) == 2:
        first, last = ends
        return (not first or day[: len(first)] >= first) and (not last or day[: len(last)] <= last)
    value = ends[0]
    return not value or day.startswith(value) or value.startswith(day)


def embedded_disagreements(article: Article) -> list[Problem]:
    """``image-metadata-disagrees`` for each figure whose image's embedded creator (EXIF Artist)
    is not the caption's credit, or whose embedded date is not the caption's date."""
    out: list[Problem] = []
    for figure in article.figures:
        info = figure.image
        if info is None or not info.exif:
            continue
        label = f"figure {figure.number}" if figure.number is not None else "a figure"
        artist = info.exif.get("artist")
        if artist and figure.credit:
            a, c = _normal(artist), _normal(figure.credit)
            if a not in c and c not in a:
                out.append(
                    Problem(
                        "image-metadata-disagrees",
                        f"{label}: the image's embedded creator (EXIF Artist) is {artist!r}, "
                        f"the caption credits {figure.credit!r}",
                        info.path,
                    )
                )
        when = info.exif.get("date")
        if (
            when
            and figure.date
            and re.match(r"\d{4}-\d{2}-\d{2}", when)
            and not _date_agrees(when, figure.date)
        ):
            out.append(
                Problem(
                    "image-metadata-disagrees",
                    f"{label}: the image says it was taken {when} (EXIF DateTimeOriginal), "
                    f"the caption dates it {figure.date}",
                    info.path,
                )
            )
    return out


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
