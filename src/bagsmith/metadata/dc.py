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


def _simple(parent: Any, name: str, values: Sequence[str | None]) -> None:
    for value in unique(values):
        sub(parent, DC, name, value)


def _record(parent: Any | None) -> Any:
    root = element(OAI_DC, "dc", DC_NSMAP) if parent is None else sub(parent, OAI_DC, "dc")
    return schema_location(root)


def article_dc(
    article: Article,
    figures: Sequence[FigureRef],
    formats: Sequence[str],
    parent: Any | None = None,
    rights: Sequence[str] = (),
) -> Any:
    """The article's ``oai_dc:dc`` record. ``rights``: statements beyond ``article.rights``
    (licence or rights statement URIs)."""
    root = _record(parent)
    spatial = unique([p for f in article.figures for p in places(f)])
    _simple(root, "title", [article.title])
    _simple(root, "creator", list(article.creators))
    _simple(root, "subject", list(article.subjects))
    _simple(root, "publisher", [article.publisher])
    _simple(root, "date", [article.date_published])
    _simple(root, "type", ["Text"])
    _simple(root, "format", list(formats))
    _simple(root, "identifier", list(article.identifiers))
    _simple(root, "source", [article.source_url])
    _simple(root, "language", [article.language])
    _simple(root, "coverage", [*spatial, *article_dates(article)])
    _simple(root, "rights", [article.rights, *rights])
    return root


def figure_dc(
    article: Article,
    figure: Figure,
    ref: FigureRef,
    parent: Any | None = None,
    rights: Sequence[str] = (),
) -> Any:
    """One figure's ``oai_dc:dc`` record: caption, description, date, places, credit."""
    root = _record(parent)
    _simple(root, "title", [ref.label])
    _simple(root, "contributor", [figure.credit])
    _simple(root, "description", [figure.caption, figure.description])
    _simple(root, "date", [figure.date])
    _simple(root, "type", ["StillImage"])
    _simple(root, "format", [ref.image_mime])
    _simple(root, "identifier", [ref.image_path])
    part_of = unique([*article.identifiers, article.source_url, article.title])
    _simple(root, "relation", part_of[:1])
    _simple(root, "coverage", places(figure))
    _simple(root, "rights", list(rights))
    return root


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
