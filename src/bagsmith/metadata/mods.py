"""MODS 3.8 records for the article and each figure (METS ``dmdSec`` with ``MDTYPE="MODS"``).

MODS carries what simple Dublin Core cannot say in a form its readers recognise: names with
MARC relator roles, typed dates (``encoding="w3cdtf"`` or ``"edtf"``, with
``qualifier="approximate"``/``"questionable"`` for EDTF's ``~``/``?``/``%``), the host site,
geographic and temporal subjects, the table of contents, the figure's number and caption
(``part/detail type="figure"``), rights (``accessCondition`` with the statement's URI).
Every value comes from the article record; nothing is invented.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..model import Article, Figure
from .dc import FigureRef, article_dates, is_w3cdtf, places, unique
from .xmlns import MODS, XLINK, q, schema_location, sub

MODS_VERSION = "3.8"
MARC_RELATOR = "marcrelator"
#: MARC relator codes of the roles bagsmith writes.
RELATORS = {"author": "aut", "photographer": "pht", "copyright holder": "cph"}


@dataclass(frozen=True)
class RightsText:
    """A rights statement as descriptive records show it: a URI and/or words."""

    uri: str | None = None
    label: str | None = None
    holder: str | None = None
    year: str | None = None
    note: str | None = None

    def text(self) -> str:
        parts = [self.label or self.uri or ""]
        if self.holder:
            parts.append(f"© {self.year + ' ' if self.year else ''}{self.holder}")
        if self.note:
            parts.append(self.note)
        return "; ".join(p for p in parts if p)


def edtf_qualifier(value: str) -> str | None:
    """MODS ``qualifier`` for an EDTF date: ``~`` approximate, ``?`` and ``%`` questionable.
    An interval has one only when both its ends say the same (``1912-08~/1956-11?`` has none:
    MODS's one attribute cannot say it; the EDTF value keeps both)."""
    words = {_qualifier_word(part) for part in value.split("/")}
    return words.pop() if len(words) == 1 else None


def _qualifier_word(value: str) -> str | None:
    if "%" in value or "?" in value:
        return "questionable"
    if "~" in value:
        return "approximate"
    return None


_PLAIN_DATE = re.compile(r"\d{4}(?:-\d\d(?:-\d\d)?)?")


def is_edtf(value: str) -> bool:
    """Valid EDTF, as the ``edtf`` package judges it. An interval of two plain calendar dates
    (an article's coverage, ``1956-10-23/1956-11-04``) is EDTF level 0 and accepted without
    the parser, which costs ~5 ms a value (pyparsing) and ~0.1 s to import."""
    start, slash, end = value.partition("/")
    if slash and all(_PLAIN_DATE.fullmatch(d) and is_w3cdtf(d) for d in (start, end)):
        return True
    from edtf import parse_edtf

    try:
        parse_edtf(value)
    except Exception:  # the edtf package raises its own and plain errors alike
        return False
    return True


def _date(parent: Any, name: str, value: str | None, key_date: bool = False) -> None:
    """A MODS date typed as W3CDTF when it is one, else as EDTF when valid, else untyped."""
    if not value:
        return
    el = sub(parent, MODS, name, value)
    if is_w3cdtf(value):
        el.set("encoding", "w3cdtf")
    elif is_edtf(value):
        el.set("encoding", "edtf")
        qualifier = edtf_qualifier(value)
        if qualifier:
            el.set("qualifier", qualifier)
    if key_date:
        el.set("keyDate", "yes")


def _name(parent: Any, value: str, role: str) -> None:
    name = sub(parent, MODS, "name")
    sub(name, MODS, "namePart", value)
    terms = sub(name, MODS, "role")
    sub(terms, MODS, "roleTerm", role, type="text", authority=MARC_RELATOR)
    sub(terms, MODS, "roleTerm", RELATORS[role], type="code", authority=MARC_RELATOR)


def _title(parent: Any, value: str) -> None:
    sub(sub(parent, MODS, "titleInfo"), MODS, "title", value)


def _identifier(parent: Any, value: str) -> None:
    lowered = value.lower()
    if lowered.startswith(("doi:", "https://doi.org/", "http://dx.doi.org/")):
        kind = "doi"
    elif lowered.startswith(("http://", "https://", "urn:", "ark:")):
        kind = "uri"
    else:
        kind = "local"
    sub(parent, MODS, "identifier", value, type=kind)


def _access(parent: Any, rights: Sequence[RightsText]) -> None:
    for statement in rights:
        text = statement.text()
        if not text:
            continue
        el = sub(parent, MODS, "accessCondition", text, type="use and reproduction")
        if statement.uri:
            el.set(q(XLINK, "href"), statement.uri)


def _record(parent: Any) -> Any:
    return schema_location(sub(parent, MODS, "mods", version=MODS_VERSION))


def article_mods(
    parent: Any,
    article: Article,
    figures: Sequence[FigureRef],
    formats: Sequence[str],
    rights: Sequence[RightsText] = (),
) -> Any:
    """The article's ``mods:mods`` record, appended to ``parent`` (a METS ``xmlData``)."""
    mods = _record(parent)
    _title(mods, article.title)
    for creator in unique(list(article.creators)):
        _name(mods, creator, "author")
    sub(mods, MODS, "typeOfResource", "text")
    sub(mods, MODS, "genre", "article")
    if article.publisher or article.date_published or article.date_captured:
        origin = sub(mods, MODS, "originInfo", eventType="publication")
        if article.publisher:
            sub(origin, MODS, "publisher", article.publisher)
        _date(origin, "dateIssued", article.date_published, key_date=True)
        _date(origin, "dateCaptured", article.date_captured)
    if article.language:
        sub(sub(mods, MODS, "language"), MODS, "languageTerm", article.language, type="code")
    if formats:
        physical = sub(mods, MODS, "physicalDescription")
        for mime in formats:
            sub(physical, MODS, "internetMediaType", mime)
        sub(physical, MODS, "digitalOrigin", "born digital")
    headings = unique([s.heading for s in article.sections])
    if headings:
        sub(mods, MODS, "tableOfContents", " -- ".join(headings))
    for topic in unique(list(article.subjects)):
        sub(sub(mods, MODS, "subject"), MODS, "topic", topic)
    for place in unique([p for f in article.figures for p in places(f)]):
        sub(sub(mods, MODS, "subject"), MODS, "geographic", place)
    for value in article_dates(article):
        _date(sub(mods, MODS, "subject"), "temporal", value)
    host = _host(article)
    if host is not None:
        related = sub(mods, MODS, "relatedItem", type="host")
        _title(related, host[0])
        if host[1]:
            sub(sub(related, MODS, "location"), MODS, "url", host[1])
    for ref in figures:
        part = sub(mods, MODS, "relatedItem", type="constituent")
        _title(part, ref.label)
        if ref.image_path:
            sub(part, MODS, "identifier", ref.image_path, type="local")
    for identifier in unique(list(article.identifiers)):
        _identifier(mods, identifier)
    if article.source_url:
        location = sub(mods, MODS, "location")
        sub(location, MODS, "url", article.source_url, usage="primary", access="object in context")
    _access(mods, [*([RightsText(label=article.rights)] if article.rights else []), *rights])
    return mods


def _host(article: Article) -> tuple[str, str | None] | None:
    """The site or paper the article appeared in: its publisher, and the site's root URL."""
    root = None
    if article.source_url:
        parts = urlsplit(article.source_url)
        if parts.scheme in {"http", "https"} and parts.netloc:
            root = f"{parts.scheme}://{parts.netloc}/"
    if article.publisher:
        return article.publisher, root
    if root is not None:
        return urlsplit(root).netloc, root
    return None


def _plain(text: str | None) -> str:
    """Words only (``A dog in the snow.`` is ``a dog in the snow``)."""
    return " ".join(re.findall(r"\w+", (text or "").casefold()))


def figure_mods(
    parent: Any,
    article: Article,
    figure: Figure,
    ref: FigureRef,
    rights: Sequence[RightsText] = (),
    embedded: Mapping[str, str] | None = None,
) -> Any:
    """One figure's ``mods:mods`` record: caption, description, date, places, credit, rights.
    ``embedded``: what the image says about itself (``ImageInfo.embedded`` facts), written
    beside the page's: its creator as a photographer besides the credit, its credit line as a
    note, its caption as a second abstract, its date when the caption has none, its GPS
    position as coordinates."""
    embedded = embedded or {}
    mods = _record(parent)
    _title(mods, ref.label)
    for name in unique([figure.credit, embedded.get("creator")]):
        _name(mods, name, "photographer")
    sub(mods, MODS, "typeOfResource", "still image")
    sub(mods, MODS, "genre", "photographs", authority="aat")
    when = figure.date or embedded.get("date")
    if when:
        _date(sub(mods, MODS, "originInfo", eventType="production"), "dateCreated", when, True)
    if ref.image_mime:
        sub(sub(mods, MODS, "physicalDescription"), MODS, "internetMediaType", ref.image_mime)
    if figure.description:
        sub(mods, MODS, "abstract", figure.description)
    caption = embedded.get("caption")
    if caption and _plain(caption) not in {_plain(figure.caption), _plain(figure.description)}:
        sub(mods, MODS, "abstract", caption, displayLabel="Embedded caption")
    credit = embedded.get("credit")
    if credit and credit != figure.credit:
        sub(
            mods,
            MODS,
            "note",
            credit,
            type="creation/production credits",
            displayLabel="Embedded credit line",
        )
    for place in unique(places(figure)):
        sub(sub(mods, MODS, "subject"), MODS, "geographic", place)
    if embedded.get("latitude") and embedded.get("longitude"):
        coordinates = f"{embedded['latitude']}, {embedded['longitude']}"
        sub(
            sub(sub(mods, MODS, "subject"), MODS, "cartographics"), MODS, "coordinates", coordinates
        )
    host = sub(mods, MODS, "relatedItem", type="host")
    _title(host, article.title)
    for identifier in unique(list(article.identifiers))[:1]:
        _identifier(host, identifier)
    if article.source_url:
        sub(sub(host, MODS, "location"), MODS, "url", article.source_url)
    if ref.image_path:
        sub(mods, MODS, "identifier", ref.image_path, type="local")
    part = sub(mods, MODS, "part")
    detail = sub(part, MODS, "detail", type="figure")
    if figure.number is not None:
        sub(detail, MODS, "number", str(figure.number))
    if figure.caption:
        sub(detail, MODS, "caption", figure.caption)
    if not len(detail):
        mods.remove(part)
    _access(mods, rights)
    return mods
