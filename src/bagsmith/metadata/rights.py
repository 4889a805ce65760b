"""Rights of the article and of each photograph: PREMIS rights statements, and the words MODS
``accessCondition`` and ``dc:rights`` carry.

A statement is a rightsstatements.org or Creative Commons URI (``--rights``, the sidecar's
``rights_uri``; only URIs of ``schemas/rights-statements.json`` are accepted), a copyright
holder, a year and a note. A photograph's own statement (sidecar, per figure) replaces the
article's for its image; every other file carries the article's.

PREMIS basis: a Creative Commons URI is a ``license`` (``licenseDocumentationIdentifier`` is the
URI, ``licenseTerms`` its name); a rightsstatements.org URI, or a holder without a URI, is
``other`` (``otherRightsBasis`` names it). ``copyright`` is not used: PREMIS requires a
copyright jurisdiction with it, which bagsmith is not told.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from ..model import Article, Figure
from ..resources import rights_statements
from .mods import RightsText
from .xmlns import PREMIS, schema_location, sub

RIGHTS_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:bagsmith:premis-rights")


@dataclass(frozen=True)
class Rights:
    uri: str | None = None
    holder: str | None = None
    year: str | None = None
    note: str | None = None

    @property
    def label(self) -> str | None:
        entry = rights_statements().get(self.uri or "")
        return str(entry["label"]) if entry else None

    @property
    def kind(self) -> str | None:
        entry = rights_statements().get(self.uri or "")
        return str(entry["kind"]) if entry else None

    def text(self) -> RightsText:
        return RightsText(self.uri, self.label, self.holder, self.year, self.note)

    def copyright_line(self) -> str | None:
        if not self.holder:
            return None
        return f"© {self.year + ' ' if self.year else ''}{self.holder}"

    def identifier(self, path: str) -> str:
        key = "\0".join([path, self.uri or "", self.holder or "", self.year or "", self.note or ""])
        return str(uuid.uuid5(RIGHTS_NAMESPACE, key))


def _of(uri: str | None, holder: str | None, year: str | None, note: str | None) -> Rights | None:
    rights = Rights(uri, holder, year, note)
    return rights if any((uri, holder, year, note)) else None


def article_rights(article: Article) -> Rights | None:
    return _of(
        article.rights_uri, article.copyright_holder, article.copyright_year, article.rights_note
    )


def figure_rights(article: Article, figure: Figure) -> Rights | None:
    """The photograph's own statement when the sidecar gives one, else the article's."""
    own = _of(figure.rights_uri, figure.copyright_holder, figure.copyright_year, figure.rights_note)
    return own or article_rights(article)


def dc_rights(rights: Rights | None) -> list[str]:
    """What ``dc:rights`` says: the statement's URI, the copyright line, the note."""
    if rights is None:
        return []
    return [v for v in (rights.uri, rights.copyright_line(), rights.note) if v]


def rights_element(parent: Any, rights: Rights, path: str, identifier: str | None = None) -> Any:
    """``premis:rights`` with one rightsStatement for the file at ``path``, identified by
    ``identifier`` (by default ``rights.identifier(path)``)."""
    root = schema_location(sub(parent, PREMIS, "rights", version="3.0"))
    statement = sub(root, PREMIS, "rightsStatement")
    ident = sub(statement, PREMIS, "rightsStatementIdentifier")
    sub(ident, PREMIS, "rightsStatementIdentifierType", "UUID")
    if identifier is None:
        identifier = rights.identifier(path)
    sub(ident, PREMIS, "rightsStatementIdentifierValue", identifier)
    notes = [v for v in (rights.copyright_line(), rights.note) if v]
    if rights.kind == "creativecommons.org" and rights.uri:
        sub(statement, PREMIS, "rightsBasis", "license")
        info = sub(statement, PREMIS, "licenseInformation")
        doc = sub(info, PREMIS, "licenseDocumentationIdentifier")
        sub(doc, PREMIS, "licenseDocumentationIdentifierType", "URI")
        sub(doc, PREMIS, "licenseDocumentationIdentifierValue", rights.uri)
        sub(doc, PREMIS, "licenseDocumentationRole", "licence")
        sub(info, PREMIS, "licenseTerms", rights.label or rights.uri)
        for note in notes:
            sub(info, PREMIS, "licenseNote", note)
    else:
        sub(statement, PREMIS, "rightsBasis", "other")
        info = sub(statement, PREMIS, "otherRightsInformation")
        if rights.uri:
            doc = sub(info, PREMIS, "otherRightsDocumentationIdentifier")
            sub(doc, PREMIS, "otherRightsDocumentationIdentifierType", "URI")
            sub(doc, PREMIS, "otherRightsDocumentationIdentifierValue", rights.uri)
            sub(doc, PREMIS, "otherRightsDocumentationRole", "rights statement")
            sub(info, PREMIS, "otherRightsBasis", f"rightsstatements.org: {rights.label}")
        else:
            sub(info, PREMIS, "otherRightsBasis", "copyright statement")
        for note in notes:
            sub(info, PREMIS, "otherRightsNote", note)
    link = sub(statement, PREMIS, "linkingObjectIdentifier")
    sub(link, PREMIS, "linkingObjectIdentifierType", "local")
    sub(link, PREMIS, "linkingObjectIdentifierValue", path)
    return root
