"""Dublin Core for an article and its figures: an oai_dc record plus a qualified record.

Both records sit in bagsmith's container element ``bagsmith:dublinCore`` (content model:
``oai_dc:dc`` then an optional ``bagsmith:qualifieddc`` of DCMI's
``dcterms:elementOrRefinementContainer`` type), so every child is validated strictly and a
misspelt element such as ``dc:author`` is rejected. Every value comes from the article record;
nothing is invented, and an element without data is left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..model import Article, Figure
from .xmlns import BAGSMITH_DC, DC, DC_NSMAP, DCTERMS, OAI_DC, element, serialise, sub, xsi_type

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


def _unique(values: Sequence[str | None]) -> list[str]:
    out: list[str] = []
    for value in values:
        if value and value.strip() and value.strip() not in out:
            out.append(value.strip())
    return out


def _places(figure: Figure) -> list[str]:
    """The gazetteer's standard forms when ingest found them, else the places as written."""
    return list(figure.places_standard or figure.places)


def _simple(parent: Any, name: str, values: Sequence[str | None]) -> None:
    for value in _unique(values):
        sub(parent, DC, name, value)


def _dated(parent: Any, name: str, value: str | None) -> None:
    if value:
        el = sub(parent, DCTERMS, name, value)
        if is_w3cdtf(value):
            xsi_type(el, "dcterms:W3CDTF")


def _container(parent: Any | None) -> Any:
    if parent is None:
        return element(BAGSMITH_DC, "dublinCore", DC_NSMAP)
    return sub(parent, BAGSMITH_DC, "dublinCore")


def _drop_if_empty(el: Any) -> None:
    if not len(el):
        el.getparent().remove(el)


def article_dc(
    article: Article,
    figures: Sequence[FigureRef],
    formats: Sequence[str],
    parent: Any | None = None,
) -> Any:
    """The article's ``bagsmith:dublinCore`` element (oai_dc + qualified DC)."""
    root = _container(parent)
    places = _unique([p for f in article.figures for p in _places(f)])
    dates = (
        [article.coverage]
        if article.coverage
        else sorted(_unique([f.date for f in article.figures]))
    )
    simple = sub(root, OAI_DC, "dc")
    _simple(simple, "title", [article.title])
    _simple(simple, "creator", list(article.creators))
    _simple(simple, "subject", list(article.subjects))
    _simple(simple, "publisher", [article.publisher])
    _simple(simple, "date", [article.date_published])
    _simple(simple, "type", ["Text"])
    _simple(simple, "format", list(formats))
    _simple(simple, "identifier", list(article.identifiers))
    _simple(simple, "source", [article.source_url])
    _simple(simple, "language", [article.language])
    _simple(simple, "coverage", [*places, *dates])
    _simple(simple, "rights", [article.rights])

    qualified = sub(root, BAGSMITH_DC, "qualifieddc")
    _dated(qualified, "created", article.date_published)
    headings = _unique([s.heading for s in article.sections])
    if headings:
        sub(qualified, DCTERMS, "tableOfContents", " -- ".join(headings))
    for value in dates:
        sub(qualified, DCTERMS, "temporal", value)
    for place in places:
        sub(qualified, DCTERMS, "spatial", place)
    for ref in figures:
        sub(qualified, DCTERMS, "hasPart", ref.image_path or ref.label)
    _drop_if_empty(qualified)
    return root


def figure_dc(article: Article, figure: Figure, ref: FigureRef, parent: Any | None = None) -> Any:
    """One figure's ``bagsmith:dublinCore`` element: caption, description, date, places, credit."""
    root = _container(parent)
    simple = sub(root, OAI_DC, "dc")
    _simple(simple, "title", [ref.label])
    _simple(simple, "contributor", [figure.credit])
    _simple(simple, "description", [figure.caption, figure.description])
    _simple(simple, "date", [figure.date])
    _simple(simple, "type", ["StillImage"])
    _simple(simple, "format", [ref.image_mime])
    _simple(simple, "identifier", [ref.image_path])
    _simple(simple, "coverage", _places(figure))

    qualified = sub(root, BAGSMITH_DC, "qualifieddc")
    if figure.date:
        _dated(qualified, "created", figure.date)
        sub(qualified, DCTERMS, "temporal", figure.date)
    for place in _unique(_places(figure)):
        sub(qualified, DCTERMS, "spatial", place)
    part_of = _unique([*article.identifiers, article.source_url, article.title])
    if part_of:
        sub(qualified, DCTERMS, "isPartOf", part_of[0])
    _drop_if_empty(qualified)
    return root


def figure_label(figure: Figure, index: int) -> str:
    return f"Figure {figure.number}" if figure.number is not None else f"Figure (position {index})"


def dc_xml(article: Article, figures: Sequence[FigureRef], formats: Sequence[str]) -> bytes:
    """``dc.xml``: the article's Dublin Core as a standalone document."""
    return serialise(article_dc(article, figures, formats))
