"""Simple Dublin Core (``oai_dc:dc``) for an article and its figures.

The record is the one OAI-PMH harvesters and every DC reader know: ``oai_dc:dc`` with the 15
``dc:`` elements, valid against the official ``oai_dc.xsd`` alone. Qualified statements
(temporal and spatial coverage, parts, table of contents, typed dates) are not squeezed into
it: they are in the MODS records beside it in METS (:mod:`.mods`), whose schema declares them.
Every value comes from the article record; nothing is invented, and an element without data
is left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..model import Article, Figure
from .xmlns import DC, DC_NSMAP, OAI_DC, element, schema_location, serialise, sub

_W3CDTF = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True)
class FigureRef:
    """How the article record points at one figure: its label and image path (if known)."""

    label: str
    image_path: str | None = None
    image_mime: str | None = None


def is_w3cdtf(value: str) -> bool:
    """True for ``YYYY``, ``YYYY-MM`` or a real ``YYYY-MM-DD`` (the dcterms:W3CDTF subset)."""
    match = _W3CDTF.match(value)
    if match is None:
        return False
    year, month, day = match.groups()
    try:
        if day is not None:
            date(int(year), int(month), int(day))
        elif month is not None and not 1 <= int(month) <= 12:
            return False
    except ValueError:
        return False
    return True


def unique(values: Sequence[str | None]) -> list[str]:
    out: list[str] = []
    for value in values:
        if value and value.strip() and value.strip() not in out:
            out.append(value.strip())
    return out


def places(figure: Figure) -> list[str]:
    """The gazetteer's standard forms when ingest found them, else the places as written."""
    return list(figure.places_standard or figure.places)


def article_dates(article: Article) -> list[str]:
    """The article's temporal coverage: its EDTF range, else each figure's date."""
    if article.coverage:
        return [article.coverage]
    return sorted(unique([f.date for f in article.figures]))


def _record(parent: Any | None) -> Any:
    root = element(OAI_DC, "dc", DC_NSMAP) if parent is None else sub(parent, OAI_DC, "dc")
    return schema_location(root)


def article_dc_fields(
    article: Article, formats: Sequence[str], rights: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """The article's Dublin Core elements, in order: (element name, value)."""
    spatial = unique([p for f in article.figures for p in places(f)])
    return _fields(
        ("title", [article.title]),
        ("creator", list(article.creators)),
        ("subject", list(article.subjects)),
        ("publisher", [article.publisher]),
        ("date", [article.date_published]),
        ("type", ["Text"]),
        ("format", list(formats)),
        ("identifier", list(article.identifiers)),
        ("source", [article.source_url]),
        ("language", [article.language]),
        ("coverage", [*spatial, *article_dates(article)]),
        ("rights", [article.rights, *rights]),
    )


def article_dc(
    article: Article,
    figures: Sequence[FigureRef],
    formats: Sequence[str],
    parent: Any | None = None,
    rights: Sequence[str] = (),
) -> Any:
    """The article's ``oai_dc:dc`` record (dc.xml). ``rights``: statements beyond
    ``article.rights`` (licence or rights statement URIs). In the METS, the records of the
    article and of each figure are written as text from the same fields (``mets._dc_section``)."""
    root = _record(parent)
    for name, value in article_dc_fields(article, formats, rights):
        sub(root, DC, name, value)
    return root


def figure_dc_fields(
    article: Article, figure: Figure, ref: FigureRef, rights: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """One figure's Dublin Core elements, in order (element name, value): caption,
    description, date, places, credit."""
    part_of = unique([*article.identifiers, article.source_url, article.title])
    return _fields(
        ("title", [ref.label]),
        ("contributor", [figure.credit]),
        ("description", [figure.caption, figure.description]),
        ("date", [figure.date]),
        ("type", ["StillImage"]),
        ("format", [ref.image_mime]),
        ("identifier", [ref.image_path]),
        ("relation", part_of[:1]),
        ("coverage", places(figure)),
        ("rights", list(rights)),
    )


def _fields(*groups: tuple[str, Sequence[str | None]]) -> list[tuple[str, str]]:
    """Each group's distinct values (stripped, empty ones left out) under its element name."""
    return [(name, value) for name, values in groups for value in unique(values)]


def figure_label(figure: Figure, index: int) -> str:
    return f"Figure {figure.number}" if figure.number is not None else f"Figure (position {index})"


def dc_xml(
    article: Article,
    figures: Sequence[FigureRef],
    formats: Sequence[str],
    rights: Sequence[str] = (),
) -> bytes:
    """``dc.xml``: the article's ``oai_dc:dc`` record as a standalone document."""
    return serialise(article_dc(article, figures, formats, rights=rights))
